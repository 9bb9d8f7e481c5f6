// The authorization endpoint over HTTPS against the real server: which
// errors show a page and which go back to the redirect URI, sign-in and
// consent, prompt values, and what is stored for an authorization code.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { Agent, addMember, csrfToken } from '../helpers/http.js';
import {
  addApp, answerConsent, authorize, authorizePath, consentHandle, locationUrl, pkcePair, redeemCode, sha256Hex,
} from '../helpers/oauth.js';

const WIKI_CB = 'https://wiki.example.org/cb';
const MOBILE_CB = 'https://mobile.example.org/cb';

let server;
let wiki;
let mobile;
let twoUris;
let narrow;
let memberCount = 0;

before(async () => {
  server = await startServer();
  wiki = addApp(server, {
    name: 'Team Wiki', description: 'Pages & minutes of the board', redirectUris: [WIKI_CB],
    scopes: ['profile', 'email', 'groups', 'roles'],
  });
  mobile = addApp(server, { name: 'Mobile', redirectUris: [MOBILE_CB], scopes: ['profile', 'email'], isPublic: true });
  twoUris = addApp(server, {
    name: 'Two URIs', redirectUris: ['https://two.example.org/a', 'https://two.example.org/b'], scopes: ['profile'],
  });
  narrow = addApp(server, { name: 'Narrow', redirectUris: ['https://narrow.example.org/cb'], scopes: ['profile'] });
});
after(async () => server?.stop());

// A member that has not consented to anything yet.
function newMember() {
  memberCount += 1;
  return addMember(server, { email: `member${memberCount}@example.org`, name: `Member ${memberCount}` });
}

async function signedIn(member) {
  const agent = new Agent(server.url);
  const res = await agent.signIn(member.email, member.password);
  assert.equal(res.status, 303, `sign-in of ${member.email}`);
  return agent;
}

function wikiRequest(extra = {}) {
  return { client_id: wiki.client_id, redirect_uri: WIKI_CB, response_type: 'code', scope: 'openid profile', ...extra };
}

function mobileRequest(challenge, extra = {}) {
  return {
    client_id: mobile.client_id, redirect_uri: MOBILE_CB, response_type: 'code', scope: 'openid',
    code_challenge: challenge, code_challenge_method: 'S256', ...extra,
  };
}

// Checks an error page: status 400, HTML, and no redirect anywhere.
function assertErrorPage(res, text) {
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('location'), null, 'an error page never redirects');
  assert.match(res.headers.get('content-type'), /^text\/html/);
  assert.ok(res.text_.includes(text), `page contains: ${text}`);
}

// Checks a redirect to 'redirectUri' with an authorization error, and
// returns its query parameters.
function assertRedirectError(res, redirectUri, error, state) {
  assert.equal(res.status, 302);
  const url = locationUrl(res, server.url);
  assert.equal(url.origin + url.pathname, redirectUri);
  const q = url.searchParams;
  assert.equal(q.get('error'), error);
  assert.ok(q.get('error_description'), 'error_description is present');
  assert.equal(q.get('iss'), server.url, 'iss names this server');
  assert.equal(q.get('state'), state ?? null);
  assert.equal(q.get('code'), null);
  return q;
}

// Escapes text the way the server's templates do (src/html.c).
function escapeHtml(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

async function rowCounts() {
  const res = await server.query(`SELECT (SELECT count(*) FROM authorization_requests)::int AS requests,
    (SELECT count(*) FROM authorization_codes)::int AS codes`);
  return res.rows[0];
}

describe('errors shown on a page', () => {
  test('unknown client_id', async () => {
    const agent = new Agent(server.url);
    const res = await agent.get(authorizePath({ ...wikiRequest(), client_id: 'no-such-client-0000' }));
    assertErrorPage(res, 'No application with this client_id is registered.');
  });

  test('missing client_id', async () => {
    const agent = new Agent(server.url);
    const { client_id: _, ...params } = wikiRequest();
    const res = await agent.get(authorizePath(params));
    assertErrorPage(res, 'client_id is missing');
  });

  const registered = `&quot;${WIKI_CB}&quot;`;
  const mismatches = [
    ['trailing slash', `${WIKI_CB}/`, `redirect_uri has a trailing slash that the registered redirect URI ${registered} does not have`],
    ['http instead of https', 'http://wiki.example.org/cb', `redirect_uri uses http but the registered redirect URI ${registered} uses https`],
    ['another port', 'https://wiki.example.org:8443/cb', `redirect_uri uses port 8443 but the registered redirect URI ${registered} has no port`],
    ['another host', 'https://wiki.example.net/cb', `redirect_uri has a different host from the registered redirect URI ${registered}`],
    ['another path', 'https://wiki.example.org/callback', `redirect_uri has a different path from the registered redirect URI ${registered}`],
    ['an added query', `${WIKI_CB}?next=%2F`, `redirect_uri has a query string but the registered redirect URI ${registered} has none`],
  ];
  for (const [kind, uri, explanation] of mismatches) {
    test(`redirect_uri mismatch: ${kind}`, async () => {
      const before = await rowCounts();
      const agent = new Agent(server.url);
      const res = await agent.get(authorizePath(wikiRequest({ redirect_uri: uri, state: 's1' })));
      assertErrorPage(res, 'Invalid redirect URI');
      assert.ok(res.text_.includes(explanation), `page explains: ${explanation}\n${res.text_}`);
      assert.deepEqual(await rowCounts(), before, 'nothing stored');
    });
  }

  test('redirect_uri mismatch beats other errors', async () => {
    const agent = new Agent(server.url);
    const res = await agent.get(authorizePath(wikiRequest({ redirect_uri: 'https://evil.example/cb', response_type: 'token' })));
    assertErrorPage(res, 'Invalid redirect URI');
  });

  test('redirect_uri omitted, two registered', async () => {
    const agent = new Agent(server.url);
    const res = await agent.get(authorizePath({ client_id: twoUris.client_id, response_type: 'code', scope: 'openid' }));
    assertErrorPage(res, 'redirect_uri is missing. It may be left out only when the application has exactly one registered redirect URI.');
  });

  test('unknown client_id while signed in', async () => {
    const agent = await signedIn(newMember());
    const res = await agent.get(authorizePath({ ...wikiRequest(), client_id: 'no-such-client-0000' }));
    assertErrorPage(res, 'No application with this client_id is registered.');
  });
});

describe('redirect URI choice', () => {
  test('redirect_uri omitted, one registered', async () => {
    const member = newMember();
    const agent = new Agent(server.url);
    const { redirect_uri: _, ...params } = wikiRequest({ state: 'one' });
    const result = await authorize(agent, params, { member });
    assert.equal(result.url.origin + result.url.pathname, WIKI_CB);
    assert.match(result.code, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(result.state, 'one');
    const row = (await server.query('SELECT redirect_uri, redirect_uri_given FROM authorization_codes WHERE code_hash = $1',
      [sha256Hex(result.code)])).rows[0];
    assert.equal(row.redirect_uri, WIKI_CB);
    assert.equal(row.redirect_uri_given, false);
  });

  test('second of two registered URIs', async () => {
    const member = newMember();
    const agent = new Agent(server.url);
    const result = await authorize(agent, {
      client_id: twoUris.client_id, redirect_uri: 'https://two.example.org/b', response_type: 'code', scope: 'openid',
    }, { member });
    assert.equal(result.url.origin + result.url.pathname, 'https://two.example.org/b');
    assert.ok(result.code);
  });

  test('POST works like GET', async () => {
    const member = newMember();
    const agent = await signedIn(member);
    const res = await agent.post('/oauth/authorize', wikiRequest({ state: 'posted' }));
    assert.equal(res.status, 200, 'consent page');
    const allowed = await answerConsent(agent, res, 'allow');
    assert.equal(allowed.status, 302);
    const q = locationUrl(allowed, server.url).searchParams;
    assert.match(q.get('code'), /^[A-Za-z0-9_-]{43}$/);
    assert.equal(q.get('state'), 'posted');
  });
});

describe('errors sent to the redirect URI', () => {
  test('response_type token unsupported', async () => {
    const agent = new Agent(server.url);
    const res = await agent.get(authorizePath(wikiRequest({ response_type: 'token', state: 'rt' })));
    assertRedirectError(res, WIKI_CB, 'unsupported_response_type', 'rt');
  });

  test('response_type missing', async () => {
    const agent = new Agent(server.url);
    const { response_type: _, ...params } = wikiRequest({ state: 'rt2' });
    const res = await agent.get(authorizePath(params));
    assertRedirectError(res, WIKI_CB, 'invalid_request', 'rt2');
  });

  test('parameter given twice', async () => {
    const agent = new Agent(server.url);
    const res = await agent.get(`${authorizePath(wikiRequest({ state: 'twice' }))}&scope=openid`);
    const q = assertRedirectError(res, WIKI_CB, 'invalid_request', 'twice');
    assert.equal(q.get('error_description'), 'scope is given more than once');
  });

  test('state given twice', async () => {
    const agent = new Agent(server.url);
    const res = await agent.get(`${authorizePath(wikiRequest({ state: 'first' }))}&state=second`);
    assertRedirectError(res, WIKI_CB, 'invalid_request', null);
  });

  test('unknown scope', async () => {
    const agent = new Agent(server.url);
    const res = await agent.get(authorizePath(wikiRequest({ scope: 'openid admin', state: 'sc' })));
    const q = assertRedirectError(res, WIKI_CB, 'invalid_scope', 'sc');
    assert.equal(q.get('error_description'), 'unknown scope "admin"');
  });

  test('scope the app may not request', async () => {
    const agent = new Agent(server.url);
    const res = await agent.get(authorizePath({
      client_id: narrow.client_id, redirect_uri: 'https://narrow.example.org/cb', response_type: 'code',
      scope: 'openid profile email groups', state: 'sc2',
    }));
    const q = assertRedirectError(res, 'https://narrow.example.org/cb', 'invalid_scope', 'sc2');
    assert.equal(q.get('error_description'), 'this application may not request: email groups');
  });

  test('PKCE method plain rejected', async () => {
    const agent = new Agent(server.url);
    const { verifier } = pkcePair();
    const res = await agent.get(authorizePath(mobileRequest(verifier, { code_challenge_method: 'plain', state: 'p1' })));
    const q = assertRedirectError(res, MOBILE_CB, 'invalid_request', 'p1');
    assert.equal(q.get('error_description'), 'code_challenge_method must be S256');
  });

  test('PKCE required for a public app', async () => {
    const agent = new Agent(server.url);
    const { code_challenge: _, code_challenge_method: __, ...params } = mobileRequest('', { state: 'p2' });
    const res = await agent.get(authorizePath(params));
    const q = assertRedirectError(res, MOBILE_CB, 'invalid_request', 'p2');
    assert.match(q.get('error_description'), /code_challenge is required/);
  });

  test('PKCE method missing', async () => {
    const agent = new Agent(server.url);
    const { code_challenge_method: _, ...params } = mobileRequest(pkcePair().challenge, { state: 'p3' });
    const res = await agent.get(authorizePath(params));
    const q = assertRedirectError(res, MOBILE_CB, 'invalid_request', 'p3');
    assert.match(q.get('error_description'), /code_challenge_method is missing/);
  });

  const malformed = [
    ['42 characters', 'A'.repeat(42)],
    ['44 characters', 'A'.repeat(44)],
    ['a character outside base64url', 'A'.repeat(42) + '+'],
    ['padding', 'A'.repeat(42) + '='],
    ['non-zero spare bits', 'A'.repeat(42) + 'B'],
  ];
  for (const [kind, challenge] of malformed) {
    test(`malformed challenge: ${kind}`, async () => {
      const agent = new Agent(server.url);
      const res = await agent.get(authorizePath(mobileRequest(challenge, { state: 'p4' })));
      const q = assertRedirectError(res, MOBILE_CB, 'invalid_request', 'p4');
      assert.match(q.get('error_description'), /code_challenge must be 43 base64url characters/);
    });
  }

  test('unsupported prompt value', async () => {
    const agent = new Agent(server.url);
    const res = await agent.get(authorizePath(wikiRequest({ prompt: 'create', state: 'pr' })));
    assertRedirectError(res, WIKI_CB, 'invalid_request', 'pr');
  });

  test('prompt none with login', async () => {
    const agent = new Agent(server.url);
    const res = await agent.get(authorizePath(wikiRequest({ prompt: 'none login', state: 'pr2' })));
    assertRedirectError(res, WIKI_CB, 'invalid_request', 'pr2');
  });

  test('state needing encoding comes back', async () => {
    const state = 'a b&c=d/é+%?#\'"<x>';
    const agent = new Agent(server.url);
    const res = await agent.get(authorizePath(wikiRequest({ response_type: 'token', state })));
    assertRedirectError(res, WIKI_CB, 'unsupported_response_type', state);
    const raw = res.headers.get('location');
    const names = raw.slice(raw.indexOf('?') + 1).split('&').map((p) => p.split('=')[0]);
    assert.deepEqual(names, ['error', 'error_description', 'state', 'iss'], 'the state does not add or split parameters');
    assert.doesNotMatch(raw, /[ "'<>#]/, 'no raw special characters in Location');
  });

  test('redirect URI query is kept', async () => {
    const withQuery = addApp(server, { name: 'Query', redirectUris: ['https://query.example.org/cb?tenant=7'], scopes: ['profile'] });
    const agent = new Agent(server.url);
    const res = await agent.get(authorizePath({
      client_id: withQuery.client_id, redirect_uri: 'https://query.example.org/cb?tenant=7', response_type: 'token', state: 'q',
    }));
    assert.equal(res.status, 302);
    const url = locationUrl(res, server.url);
    assert.equal(url.searchParams.get('tenant'), '7');
    assert.equal(url.searchParams.get('error'), 'unsupported_response_type');
    assert.equal(url.searchParams.get('iss'), server.url);
  });
});

describe('sign-in', () => {
  test('signed out goes to the sign-in page', async () => {
    const agent = new Agent(server.url);
    const res = await agent.get(authorizePath(wikiRequest({ state: 'login' })));
    assert.equal(res.status, 303);
    const location = res.headers.get('location');
    const m = /^\/login\?force=1&return_to=%2Foauth%2Fauthorize%2Fresume%3Frequest%3D([A-Za-z0-9_-]{43})$/.exec(location);
    assert.ok(m, `Location is the local sign-in page: ${location}`);
    const stored = await server.query('SELECT client_id, redirect_uri, scopes, state FROM authorization_requests WHERE handle_hash = $1',
      [sha256Hex(m[1])]);
    assert.equal(stored.rowCount, 1, 'the request is stored under the hash of its handle');
    assert.equal(stored.rows[0].state, 'login');
    assert.equal(stored.rows[0].scopes, 'openid profile');
  });

  test('sign-in returns to the request', async () => {
    const member = newMember();
    const agent = new Agent(server.url);
    const first = await agent.get(authorizePath(wikiRequest({ state: 'back' })));
    const returnTo = locationUrl(first, server.url).searchParams.get('return_to');
    assert.match(returnTo, /^\/oauth\/authorize\/resume\?request=[A-Za-z0-9_-]{43}$/);

    const page = await agent.get(`/login?force=1&return_to=${encodeURIComponent(returnTo)}`);
    assert.ok(page.text_.includes(`name="return_to" value="${escapeHtml(returnTo)}"`), 'the sign-in form keeps the way back');
    const login = await agent.signIn(member.email, member.password, returnTo);
    assert.equal(login.status, 303);
    assert.equal(login.headers.get('location'), returnTo);

    const consent = await agent.get(returnTo);
    assert.equal(consent.status, 200);
    assert.match(consent.text_, /Allow Team Wiki to use your Orgo account\?/);
    const done = await answerConsent(agent, consent, 'allow');
    const q = locationUrl(done, server.url).searchParams;
    assert.ok(q.get('code'));
    assert.equal(q.get('state'), 'back');
  });

  for (const target of ['https://evil.example/cb', '//evil.example/cb', '/\\evil.example']) {
    test(`sign-in never leaves for ${target}`, async () => {
      const member = newMember();
      const agent = new Agent(server.url);
      const res = await agent.signIn(member.email, member.password, target);
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), '/settings');
    });
  }

  test('resume without a session', async () => {
    const agent = new Agent(server.url);
    const first = await agent.get(authorizePath(wikiRequest()));
    const returnTo = locationUrl(first, server.url).searchParams.get('return_to');
    const res = await agent.get(returnTo);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `/login?return_to=${encodeURIComponent(returnTo)}`);
  });

  test('resume with an unknown handle', async () => {
    const agent = await signedIn(newMember());
    const res = await agent.get(`/oauth/authorize/resume?request=${'A'.repeat(43)}`);
    assertErrorPage(res, 'This sign-in request is no longer valid.');
  });

  test('resume of an expired request', async () => {
    const member = newMember();
    const agent = new Agent(server.url);
    const first = await agent.get(authorizePath(wikiRequest()));
    const returnTo = locationUrl(first, server.url).searchParams.get('return_to');
    const handle = returnTo.split('request=')[1];
    await server.query("UPDATE authorization_requests SET expires_at = now() - interval '1 second' WHERE handle_hash = $1",
      [sha256Hex(handle)]);
    await agent.signIn(member.email, member.password, returnTo);
    const res = await agent.get(returnTo);
    assertErrorPage(res, 'This sign-in request is no longer valid.');
  });
});

describe('prompt', () => {
  test('prompt=none signed out', async () => {
    const before = await rowCounts();
    const agent = new Agent(server.url);
    const res = await agent.get(authorizePath(wikiRequest({ prompt: 'none', state: 'n1' })));
    assertRedirectError(res, WIKI_CB, 'login_required', 'n1');
    assert.deepEqual(await rowCounts(), before, 'nothing stored');
  });

  test('prompt=none without consent', async () => {
    const agent = await signedIn(newMember());
    const res = await agent.get(authorizePath(wikiRequest({ prompt: 'none', state: 'n2' })));
    assertRedirectError(res, WIKI_CB, 'consent_required', 'n2');
  });

  test('prompt=none with consent', async () => {
    const member = newMember();
    const agent = new Agent(server.url);
    await authorize(agent, wikiRequest(), { member });
    const res = await agent.get(authorizePath(wikiRequest({ prompt: 'none', state: 'n3' })));
    assert.equal(res.status, 302);
    const q = locationUrl(res, server.url).searchParams;
    assert.match(q.get('code'), /^[A-Za-z0-9_-]{43}$/);
    assert.equal(q.get('state'), 'n3');
    assert.equal(q.get('iss'), server.url);
  });

  test('prompt=consent asks again', async () => {
    const member = newMember();
    const agent = new Agent(server.url);
    await authorize(agent, wikiRequest(), { member });
    const again = await authorize(agent, wikiRequest({ prompt: 'consent' }), { member });
    assert.deepEqual(again.steps, ['consent']);
    assert.ok(again.code);
  });

  test('prompt=login forces a sign-in', async () => {
    const member = newMember();
    const agent = new Agent(server.url);
    await authorize(agent, wikiRequest(), { member });
    // The session comes from a sign-in five minutes ago.
    await server.query("UPDATE sessions SET auth_time = now() - interval '5 minutes' WHERE member_id = $1", [member.id]);

    const res = await agent.get(authorizePath(wikiRequest({ prompt: 'login', state: 'again' })));
    assert.equal(res.status, 303);
    const location = res.headers.get('location');
    assert.match(location, /^\/login\?force=1&return_to=/);
    const returnTo = locationUrl(res, server.url).searchParams.get('return_to');

    const skipped = await agent.get(returnTo);
    assert.equal(skipped.status, 303, 'the old session is not enough');
    assert.match(skipped.headers.get('location'), /^\/login\?force=1&return_to=/);

    const login = await agent.signIn(member.email, member.password, returnTo);
    assert.equal(login.headers.get('location'), returnTo);
    const done = await agent.get(returnTo);
    assert.equal(done.status, 302, 'consent is remembered, so the code comes at once');
    const q = locationUrl(done, server.url).searchParams;
    assert.ok(q.get('code'));
    assert.equal(q.get('state'), 'again');
    const row = (await server.query('SELECT auth_time > now() - interval \'1 minute\' AS fresh FROM authorization_codes WHERE code_hash = $1',
      [sha256Hex(q.get('code'))])).rows[0];
    assert.equal(row.fresh, true, 'the code carries the new sign-in time');
  });
});

describe('consent page', () => {
  test('shows the app and each scope', async () => {
    const member = newMember();
    const agent = await signedIn(member);
    const res = await agent.get(authorizePath(wikiRequest({ scope: 'openid profile email groups roles offline_access' })));
    assert.equal(res.status, 200);
    const html = res.text_;
    assert.ok(html.includes('Allow Team Wiki to use your Orgo account?'));
    assert.ok(html.includes('Pages &amp; minutes of the board'), 'the description, escaped');
    assert.ok(html.includes(`<strong>${member.name}</strong> (${member.email})`), 'the signed-in member');
    for (const text of [
      'Sign you in with your Orgo account', 'Your name and profile picture', 'Your email address and whether it is verified',
      'The groups you belong to', 'Your roles in the organisation', 'Stay connected when you are not using the app',
    ]) {
      assert.ok(html.includes(`<li>${text}</li>`), `scope text: ${text}`);
    }
    assert.ok(html.includes('<span class="mono">wiki.example.org</span>'), 'where the member goes next');
    assert.doesNotMatch(html, /<li>(openid|profile|email|groups|roles|offline_access)<\/li>/, 'no raw scope names');
  });

  test('lists only the requested scopes', async () => {
    const agent = await signedIn(newMember());
    const res = await agent.get(authorizePath(wikiRequest({ scope: 'email' })));
    assert.equal(res.status, 200);
    const items = [...res.text_.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]);
    assert.deepEqual(items, ['Your email address and whether it is verified']);
  });

  test('cannot be framed', async () => {
    const agent = await signedIn(newMember());
    const res = await agent.get(authorizePath(wikiRequest()));
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy');
    assert.ok(csp, 'Content-Security-Policy is set');
    assert.ok(csp.split(';').map((d) => d.trim()).includes("frame-ancestors 'none'"), csp);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  test('missing CSRF token is rejected', async () => {
    const agent = await signedIn(newMember());
    const page = await agent.get(authorizePath(wikiRequest()));
    const res = await agent.post('/oauth/authorize/consent', { request: consentHandle(page.text_), decision: 'allow' });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('location'), null);

    const allowed = await answerConsent(agent, page, 'allow');
    assert.equal(allowed.status, 302, 'the request is still open after the rejected post');
  });

  test('wrong CSRF token is rejected', async () => {
    const agent = await signedIn(newMember());
    const page = await agent.get(authorizePath(wikiRequest()));
    const res = await agent.post('/oauth/authorize/consent',
      { csrf_token: 'x'.repeat(43), request: consentHandle(page.text_), decision: 'allow' });
    assert.equal(res.status, 403);
  });

  test('post from another origin is rejected', async () => {
    const agent = await signedIn(newMember());
    const page = await agent.get(authorizePath(wikiRequest()));
    const res = await agent.post('/oauth/authorize/consent',
      { csrf_token: csrfToken(page.text_), request: consentHandle(page.text_), decision: 'allow' },
      { origin: 'https://wiki.example.org' });
    assert.equal(res.status, 403);
  });

  test('deny sends access_denied', async () => {
    const member = newMember();
    const agent = await signedIn(member);
    const page = await agent.get(authorizePath(wikiRequest({ state: 'no thanks' })));
    const before = await rowCounts();
    const res = await answerConsent(agent, page, 'deny');
    assertRedirectError(res, WIKI_CB, 'access_denied', 'no thanks');
    const consents = await server.query('SELECT 1 FROM consents WHERE member_id = $1', [member.id]);
    assert.equal(consents.rowCount, 0, 'no consent stored');
    assert.equal((await rowCounts()).codes, before.codes, 'no code stored');
  });

  test('cannot be answered twice', async () => {
    const agent = await signedIn(newMember());
    const page = await agent.get(authorizePath(wikiRequest()));
    assert.equal((await answerConsent(agent, page, 'allow')).status, 302);
    const again = await answerConsent(agent, page, 'allow');
    assertErrorPage(again, 'This sign-in request is no longer valid.');
  });

  test('invalid decision is rejected', async () => {
    const agent = await signedIn(newMember());
    const page = await agent.get(authorizePath(wikiRequest()));
    const res = await agent.post('/oauth/authorize/consent',
      { csrf_token: csrfToken(page.text_), request: consentHandle(page.text_), decision: 'maybe' });
    assertErrorPage(res, 'The consent form is incomplete');
  });
});

describe('remembered consent', () => {
  test('same or fewer scopes skip the page', async () => {
    const member = newMember();
    const agent = new Agent(server.url);
    const first = await authorize(agent, wikiRequest({ scope: 'openid profile email' }), { member });
    assert.deepEqual(first.steps, ['login', 'consent']);
    const consent = await server.query('SELECT scopes FROM consents WHERE member_id = $1', [member.id]);
    assert.deepEqual(consent.rows[0].scopes.split(' ').sort(), ['email', 'openid', 'profile']);

    const same = await authorize(agent, wikiRequest({ scope: 'openid profile email' }));
    assert.deepEqual(same.steps, []);
    assert.ok(same.code);

    const fewer = await authorize(agent, wikiRequest({ scope: 'openid email' }));
    assert.deepEqual(fewer.steps, []);
    assert.ok(fewer.code);
  });

  test('more scopes ask again', async () => {
    const member = newMember();
    const agent = new Agent(server.url);
    await authorize(agent, wikiRequest({ scope: 'openid profile' }), { member });
    const page = await agent.get(authorizePath(wikiRequest({ scope: 'openid profile groups' })));
    assert.equal(page.status, 200, 'consent page again');
    const items = [...page.text_.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]);
    assert.deepEqual(items, ['Sign you in with your Orgo account', 'Your name and profile picture', 'The groups you belong to']);
    assert.equal((await answerConsent(agent, page, 'allow')).status, 302);
    const consent = await server.query('SELECT scopes FROM consents WHERE member_id = $1', [member.id]);
    assert.deepEqual(consent.rows[0].scopes.split(' ').sort(), ['groups', 'openid', 'profile'], 'the scopes are added up');
  });

  test('consent is per application', async () => {
    const member = newMember();
    const agent = new Agent(server.url);
    await authorize(agent, wikiRequest({ scope: 'openid profile' }), { member });
    const other = await authorize(agent, {
      client_id: narrow.client_id, redirect_uri: 'https://narrow.example.org/cb', response_type: 'code', scope: 'openid profile',
    });
    assert.deepEqual(other.steps, ['consent']);
  });
});

describe('authorization code', () => {
  test('stored only as a bound hash', async () => {
    const member = newMember();
    const agent = new Agent(server.url);
    const { challenge } = pkcePair();
    const result = await authorize(agent, mobileRequest(challenge, { scope: 'openid email', nonce: 'n-0S6_WzA2Mj', state: 'st' }),
      { member });
    assert.match(result.code, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(result.state, 'st');
    assert.equal(result.iss, server.url);
    assert.equal(result.url.origin + result.url.pathname, MOBILE_CB);

    const rows = (await server.query(`SELECT a.*, c.client_id AS public_client_id,
        extract(epoch FROM a.expires_at - a.created_at)::int AS ttl, row_to_json(a)::text AS json
      FROM authorization_codes a JOIN clients c ON c.id = a.client_id WHERE a.code_hash = $1`, [sha256Hex(result.code)])).rows;
    assert.equal(rows.length, 1, 'the row is found by the SHA-256 of the code');
    const row = rows[0];
    assert.ok(!row.json.includes(result.code), 'the code itself is not stored');
    assert.equal(row.public_client_id, mobile.client_id);
    assert.equal(String(row.member_id), String(member.id));
    assert.equal(row.redirect_uri, MOBILE_CB);
    assert.equal(row.redirect_uri_given, true);
    assert.equal(row.code_challenge, challenge);
    assert.equal(row.scopes, 'openid email');
    assert.equal(row.nonce, 'n-0S6_WzA2Mj');
    assert.equal(row.used_at, null);
    assert.equal(row.ttl, 60, 'ORGO_CODE_TTL defaults to 60 seconds');

    const all = await server.query('SELECT count(*)::int AS n FROM authorization_codes WHERE code_hash = $1 OR code_hash = $2',
      [result.code, sha256Hex(result.code)]);
    assert.equal(all.rows[0].n, 1);
  });

  test('codes differ per request', async () => {
    const member = newMember();
    const agent = new Agent(server.url);
    const first = await authorize(agent, wikiRequest(), { member });
    const second = await authorize(agent, wikiRequest());
    assert.notEqual(first.code, second.code);
  });

  test('confidential app challenge is enforced', async () => {
    const member = newMember();
    const agent = new Agent(server.url);
    const { verifier, challenge } = pkcePair();
    const result = await authorize(agent, wikiRequest({ code_challenge: challenge, code_challenge_method: 'S256' }), { member });
    const stored = await server.query('SELECT code_challenge FROM authorization_codes WHERE code_hash = $1', [sha256Hex(result.code)]);
    assert.equal(stored.rows[0].code_challenge, challenge);

    const without = await redeemCode(server, wiki, result.code, { redirectUri: WIKI_CB });
    assert.equal(without.status, 400);
    assert.equal(without.json.error, 'invalid_grant');

    const withVerifier = await redeemCode(server, wiki, result.code, { redirectUri: WIKI_CB, verifier });
    assert.equal(withVerifier.status, 200, withVerifier.text_);
  });
});
