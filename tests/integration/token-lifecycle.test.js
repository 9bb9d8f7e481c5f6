// The end of a token's life against the real server: revocation (RFC 7009)
// at /oauth/revoke, introspection (RFC 7662) at /oauth/introspect, and
// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) at
// /oauth/logout.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer } from '../helpers/server.js';
import { Agent, addMember, csrfToken, orgoctl } from '../helpers/http.js';
import {
  addApp, authorize, basicAuth, decodeJwt, encodeJwt, memberSubject, pkcePair, redeemCode, refresh, serverSigningKey,
  sha256Hex, signHs256, signRs256, userinfo,
} from '../helpers/oauth.js';

const WIKI_CB = 'https://wiki.example.org/cb';
const WIKI_SIGNED_OUT = 'https://wiki.example.org/signed-out';
const WIKI_SIGNED_OUT_QUERY = 'https://wiki.example.org/bye?from=orgo';
const OTHER_CB = 'https://other.example.org/cb';
const SPA_CB = 'https://spa.example.org/callback';
const SESSION_COOKIE = '__Host-orgo_session';

let server;
let alice;
let bob;
let aliceSubject;
let wiki;
let other;
let spa;
// Alice, signed in and with consent to every app, for the token tests.
let aliceAgent;

before(async () => {
  server = await startServer();
  alice = addMember(server, { email: 'alice@example.org', name: 'Alice Example' });
  bob = addMember(server, { email: 'bob@example.org', name: 'Bob Example' });
  aliceSubject = memberSubject(server, alice.email);
  wiki = JSON.parse(orgoctl(server, [
    'app', 'add', '--name', 'Wiki', '--redirect-uri', WIKI_CB, '--post-logout-redirect-uri', WIKI_SIGNED_OUT,
    '--post-logout-redirect-uri', WIKI_SIGNED_OUT_QUERY, '--scope', 'profile', '--scope', 'email', '--json',
  ]));
  other = addApp(server, { name: 'Other', redirectUris: [OTHER_CB], scopes: ['profile'] });
  spa = addApp(server, { name: 'Single Page', redirectUris: [SPA_CB], scopes: ['profile'], isPublic: true });
  aliceAgent = new Agent(server.url);
});
after(async () => server?.stop());

// ---- Helpers -----------------------------------------------------------

const nowSeconds = () => Math.floor(Date.now() / 1000);

// Runs the authorization code flow and returns the token response body.
async function tokensFor(agent, app, member, { scope = 'openid profile' } = {}) {
  const redirectUri = { [wiki.client_id]: WIKI_CB, [other.client_id]: OTHER_CB, [spa.client_id]: SPA_CB }[app.client_id];
  const params = { response_type: 'code', client_id: app.client_id, redirect_uri: redirectUri, scope, nonce: 'n-0' };
  const pkce = app.client_secret ? null : pkcePair();
  if (pkce) Object.assign(params, { code_challenge: pkce.challenge, code_challenge_method: 'S256' });

  const result = await authorize(agent, params, { member });
  assert.ok(result.code, `authorization returns a code: ${result.url}`);
  const res = await redeemCode(server, app, result.code, { redirectUri, verifier: pkce?.verifier });
  assert.equal(res.status, 200, res.text_);
  return res.json;
}

const wikiTokens = () => tokensFor(aliceAgent, wiki, alice, { scope: 'openid profile email' });

/*
 * POSTs 'form' to a client-authenticated endpoint. For confidential apps
 * 'auth' is 'basic' or 'post' (client_secret_post). Public apps send
 * client_id alone. 'none' sends no client authentication at all.
 */
async function clientPost(path, app, form, auth = 'basic') {
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  const body = { ...form };
  if (auth !== 'none' && !app.client_secret) body.client_id = app.client_id;
  else if (auth === 'basic') headers.authorization = basicAuth(app.client_id, app.client_secret);
  else if (auth === 'post') Object.assign(body, { client_id: app.client_id, client_secret: app.client_secret });

  const res = await fetch(server.url + path, { method: 'POST', headers, body: new URLSearchParams(body).toString() });
  res.text_ = await res.text();
  try { res.json = JSON.parse(res.text_); } catch { res.json = null; }
  return res;
}

const revoke = (app, token, { hint, auth } = {}) =>
  clientPost('/oauth/revoke', app, hint ? { token, token_type_hint: hint } : { token }, auth);
const introspect = (app, token, { auth } = {}) => clientPost('/oauth/introspect', app, { token }, auth);

function assertJsonError(res, status, error) {
  assert.equal(res.status, status, res.text_);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(res.json?.error, error, res.text_);
}

function assertRevoked(res) {
  assert.equal(res.status, 200, res.text_);
  assert.deepEqual(res.json, {});
}

async function assertInactive(app, token, description) {
  const res = await introspect(app, token);
  assert.equal(res.status, 200, `${description}: ${res.text_}`);
  assert.deepEqual(res.json, { active: false }, `${description} is inactive and nothing else is disclosed`);
}

// A JWT like 'token' but with its payload changed and signed by 'sign'.
function resign(token, changes, sign, headerChanges = {}) {
  const { header, payload } = decodeJwt(token);
  return encodeJwt({ ...header, ...headerChanges }, { ...payload, ...changes }, sign);
}

async function grantRow(accessToken) {
  const { gid } = decodeJwt(accessToken).payload;
  const { rows } = await server.query('SELECT revoked_at, revoked_reason FROM grants WHERE grant_key = $1', [gid]);
  assert.equal(rows.length, 1, 'the grant exists');
  return rows[0];
}

// ---- Revocation (RFC 7009) -------------------------------------------------

describe('revocation', () => {
  test('refresh token revokes its grant', async () => {
    const first = await wikiTokens();
    const refreshed = await refresh(server, wiki, first.refresh_token);
    assert.equal(refreshed.status, 200, refreshed.text_);
    const second = refreshed.json;
    assert.equal((await userinfo(server, first.access_token)).status, 200);

    assertRevoked(await revoke(wiki, second.refresh_token, { hint: 'refresh_token' }));

    const again = await refresh(server, wiki, second.refresh_token);
    assertJsonError(again, 400, 'invalid_grant');
    for (const token of [first.access_token, second.access_token]) {
      const res = await userinfo(server, token);
      assert.equal(res.status, 401, res.text_);
      assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      await assertInactive(wiki, token, 'an access token of the revoked grant');
    }
    await assertInactive(wiki, second.refresh_token, 'the revoked refresh token');

    const grant = await grantRow(first.access_token);
    assert.notEqual(grant.revoked_at, null);
    assert.equal(grant.revoked_reason, 'revoked by client');

    // Revoking twice is not an error.
    assertRevoked(await revoke(wiki, second.refresh_token));
  });

  test('access token revoked by jti', async () => {
    const tokens = await wikiTokens();
    const { jti, exp } = decodeJwt(tokens.access_token).payload;

    assertRevoked(await revoke(wiki, tokens.access_token, { hint: 'access_token', auth: 'post' }));

    const res = await userinfo(server, tokens.access_token);
    assert.equal(res.status, 401, res.text_);
    await assertInactive(wiki, tokens.access_token, 'the revoked access token');

    const { rows } = await server.query(
      'SELECT extract(epoch FROM expires_at)::bigint AS expires FROM revoked_access_tokens WHERE jti = $1', [jti]);
    assert.equal(rows.length, 1, 'the jti is listed');
    assert.equal(Number(rows[0].expires), exp, 'listed until the token expires');

    assertRevoked(await revoke(wiki, tokens.access_token));
  });

  test('hint does not decide the token type', async () => {
    const tokens = await wikiTokens();
    assertRevoked(await revoke(wiki, tokens.refresh_token, { hint: 'access_token' }));
    assertJsonError(await refresh(server, wiki, tokens.refresh_token), 400, 'invalid_grant');
  });

  test('unknown token returns 200', async () => {
    const foreign = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const foreignJwt = encodeJwt({ alg: 'RS256', typ: 'at+jwt', kid: 'foreign' },
      { iss: server.url, sub: aliceSubject, client_id: wiki.client_id, jti: 'j-1', exp: nowSeconds() + 300 },
      signRs256(foreign));
    for (const token of [crypto.randomBytes(32).toString('base64url'), 'a.b.c', foreignJwt]) {
      assertRevoked(await revoke(wiki, token));
    }
  });

  test('revocation needs client authentication', async () => {
    const tokens = await wikiTokens();

    assertJsonError(await revoke(wiki, tokens.refresh_token, { auth: 'none' }), 401, 'invalid_client');
    const wrong = await revoke({ ...wiki, client_secret: 'wrong-secret' }, tokens.refresh_token);
    assertJsonError(wrong, 401, 'invalid_client');
    assert.match(wrong.headers.get('www-authenticate') ?? '', /^Basic /);
    const unknown = await revoke({ client_id: 'no-such-client-id', client_secret: 'x' }, tokens.refresh_token);
    assertJsonError(unknown, 401, 'invalid_client');

    const still = await refresh(server, wiki, tokens.refresh_token);
    assert.equal(still.status, 200, `the token is not revoked: ${still.text_}`);
  });

  test("other app's tokens are rejected", async () => {
    const tokens = await wikiTokens();

    assertJsonError(await revoke(other, tokens.refresh_token, { hint: 'refresh_token' }), 400, 'unauthorized_client');
    assertJsonError(await revoke(other, tokens.access_token, { hint: 'access_token' }), 400, 'unauthorized_client');

    assert.equal((await grantRow(tokens.access_token)).revoked_at, null, 'the grant is not revoked');
    const { rows } = await server.query('SELECT 1 FROM revoked_access_tokens WHERE jti = $1',
      [decodeJwt(tokens.access_token).payload.jti]);
    assert.equal(rows.length, 0, 'the access token is not listed as revoked');
    assert.equal((await userinfo(server, tokens.access_token)).status, 200);
    const still = await refresh(server, wiki, tokens.refresh_token);
    assert.equal(still.status, 200, `the refresh token still works: ${still.text_}`);
  });

  test('public app revokes its own token', async () => {
    const tokens = await tokensFor(aliceAgent, spa, alice);
    assertRevoked(await revoke(spa, tokens.refresh_token));
    assertJsonError(await refresh(server, spa, tokens.refresh_token), 400, 'invalid_grant');
    assert.equal((await userinfo(server, tokens.access_token)).status, 401);
  });

  test('revocation accepts only POST', async () => {
    const res = await fetch(server.url + '/oauth/revoke');
    assert.equal(res.status, 405);
    assert.match(res.headers.get('allow') ?? '', /\bPOST\b/);
  });
});

// ---- Introspection (RFC 7662) ------------------------------------------

describe('introspection', () => {
  test('active access token with its claims', async () => {
    const tokens = await wikiTokens();
    const claims = decodeJwt(tokens.access_token).payload;

    for (const auth of ['basic', 'post']) {
      const res = await introspect(wiki, tokens.access_token, { auth });
      assert.equal(res.status, 200, res.text_);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      const body = res.json;
      assert.equal(body.active, true, auth);
      assert.equal(body.scope, 'openid profile email');
      assert.equal(body.client_id, wiki.client_id);
      assert.equal(body.sub, aliceSubject);
      assert.equal(body.exp, claims.exp);
      assert.equal(body.iat, claims.iat);
      assert.ok(body.exp > nowSeconds(), 'exp is in the future');
      assert.equal(body.iss, server.url);
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.jti, claims.jti);
      assert.equal(body.aud, server.url);
    }
  });

  test('client_credentials token is active', async () => {
    const res = await clientPost('/oauth/token', wiki, { grant_type: 'client_credentials', scope: 'profile' });
    assert.equal(res.status, 200, res.text_);
    const token = res.json.access_token;

    const body = (await introspect(other, token)).json;
    assert.equal(body?.active, true, JSON.stringify(body));
    assert.equal(body.client_id, wiki.client_id);
    assert.equal(body.sub, wiki.client_id);
    assert.equal(body.scope, 'profile');
    assert.equal(body.token_type, 'Bearer');
  });

  test('expired access token is inactive', async () => {
    const tokens = await wikiTokens();
    const { privateKey } = await serverSigningKey(server);
    const now = nowSeconds();

    // The same claims with a future exp are active, so only exp differs.
    const valid = resign(tokens.access_token, { iat: now - 60, exp: now + 300 }, signRs256(privateKey));
    assert.equal((await introspect(wiki, valid)).json?.active, true, 'a re-signed token with a future exp is active');

    const expired = resign(tokens.access_token, { iat: now - 700, exp: now - 100 }, signRs256(privateKey));
    await assertInactive(wiki, expired, 'an expired access token');
    assert.equal((await userinfo(server, expired)).status, 401);
  });

  test('revoked access token is inactive', async () => {
    const tokens = await wikiTokens();
    assert.equal((await introspect(wiki, tokens.access_token)).json?.active, true);
    assertRevoked(await revoke(wiki, tokens.access_token));
    await assertInactive(wiki, tokens.access_token, 'a revoked access token');
  });

  test('malformed tokens are inactive', async () => {
    const tokens = await wikiTokens();
    const { header, payload } = decodeJwt(tokens.access_token);
    const [h, , s] = tokens.access_token.split('.');
    const otherPayload = Buffer.from(JSON.stringify({ ...payload, sub: 'someone-else' })).toString('base64url');
    const publicPem = (await serverSigningKey(server)).publicPem;

    const cases = {
      'a random string': crypto.randomBytes(32).toString('base64url'),
      'three junk segments': 'a.b.c',
      'two segments': `${h}.${otherPayload}`,
      'a changed payload': `${h}.${otherPayload}.${s}`,
      'alg none': encodeJwt({ ...header, alg: 'none' }, payload, () => Buffer.alloc(0)),
      'HS256 with the public key as secret': encodeJwt({ ...header, alg: 'HS256' }, payload, signHs256(publicPem)),
      'an ID token': tokens.id_token,
    };
    for (const [description, token] of Object.entries(cases)) {
      await assertInactive(wiki, token, description);
    }
  });

  test('token of another issuer is inactive', async () => {
    const tokens = await wikiTokens();
    const foreign = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const { kid, privateKey } = await serverSigningKey(server);

    const foreignKey = resign(tokens.access_token, {}, signRs256(foreign), { kid: 'foreign-key' });
    await assertInactive(wiki, foreignKey, 'a token signed by an unknown key');
    const foreignKeyOurKid = resign(tokens.access_token, {}, signRs256(foreign), { kid });
    await assertInactive(wiki, foreignKeyOurKid, 'a token signed by another key with our kid');
    const foreignIssuer = resign(tokens.access_token, { iss: 'https://issuer.example.org' }, signRs256(privateKey));
    await assertInactive(wiki, foreignIssuer, 'a token of another issuer');
  });

  test('refresh token active for its app only', async () => {
    const tokens = await wikiTokens();
    const before = nowSeconds();

    const res = await introspect(wiki, tokens.refresh_token);
    assert.equal(res.status, 200, res.text_);
    const body = res.json;
    assert.equal(body.active, true);
    assert.equal(body.token_type, 'refresh_token');
    assert.equal(body.client_id, wiki.client_id);
    assert.equal(body.sub, aliceSubject);
    assert.equal(body.scope, 'openid profile email');
    assert.equal(body.iss, server.url);
    assert.ok(body.exp > before, 'exp is in the future');
    assert.ok(Math.abs(body.iat - before) < 60, `iat ${body.iat} is the issue time`);

    await assertInactive(other, tokens.refresh_token, "another app's refresh token");

    // A rotated refresh token is used up, and its successor is active.
    const refreshed = await refresh(server, wiki, tokens.refresh_token);
    assert.equal(refreshed.status, 200, refreshed.text_);
    await assertInactive(wiki, tokens.refresh_token, 'a rotated refresh token');
    assert.equal((await introspect(wiki, refreshed.json.refresh_token)).json?.active, true);
  });

  test('public app cannot introspect', async () => {
    const tokens = await tokensFor(aliceAgent, spa, alice);
    assertJsonError(await introspect(spa, tokens.access_token), 401, 'invalid_client');
    assertJsonError(await introspect(spa, tokens.refresh_token), 401, 'invalid_client');
  });

  test('introspection needs client authentication', async () => {
    const tokens = await wikiTokens();
    assertJsonError(await introspect(wiki, tokens.access_token, { auth: 'none' }), 401, 'invalid_client');
    assertJsonError(await introspect({ ...wiki, client_secret: 'wrong-secret' }, tokens.access_token), 401, 'invalid_client');
  });
});

// ---- RP-initiated logout ---------------------------------------------------

describe('logout', () => {
  // A new agent signed in as 'member', with an ID token for the wiki.
  async function signedIn(member = alice) {
    const agent = new Agent(server.url);
    const tokens = await tokensFor(agent, wiki, member);
    assert.ok(agent.cookies.has(SESSION_COOKIE), 'the agent has a session cookie');
    return { agent, tokens, sessionHash: sha256Hex(agent.cookies.get(SESSION_COOKIE)) };
  }

  async function sessionExists(sessionHash) {
    const { rows } = await server.query('SELECT 1 FROM sessions WHERE id_hash = $1', [sessionHash]);
    return rows.length === 1;
  }

  function logoutPath(params) {
    return '/oauth/logout?' + new URLSearchParams(params).toString();
  }

  function assertCookieCleared(res) {
    const cleared = res.headers.getSetCookie().find((c) => c.startsWith(SESSION_COOKIE + '='));
    assert.ok(cleared, 'the response sets the session cookie');
    assert.match(cleared, new RegExp(`^${SESSION_COOKIE}=;`));
    assert.match(cleared, /Max-Age=0/);
  }

  async function assertStillSignedIn(agent, sessionHash) {
    assert.ok(await sessionExists(sessionHash), 'the session row is kept');
    const res = await agent.get('/settings');
    assert.equal(res.status, 200, 'the member is still signed in');
  }

  function assertErrorPage(res) {
    assert.equal(res.status, 400, res.text_);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(res.headers.get('location'), null, 'no redirect');
    assert.equal(res.headers.getSetCookie().some((c) => c.startsWith(SESSION_COOKIE + '=;')), false,
      'the session cookie is not cleared');
  }

  test('hint and registered URI redirect', async () => {
    const { agent, tokens, sessionHash } = await signedIn();
    assert.ok(await sessionExists(sessionHash));

    const res = await agent.get(logoutPath({
      id_token_hint: tokens.id_token, post_logout_redirect_uri: WIKI_SIGNED_OUT, state: 'st-1 x',
    }));
    assert.equal(res.status, 303, res.text_);
    const location = new URL(res.headers.get('location'));
    assert.equal(location.origin + location.pathname, WIKI_SIGNED_OUT);
    assert.deepEqual([...location.searchParams], [['state', 'st-1 x']]);
    assertCookieCleared(res);
    assert.equal(await sessionExists(sessionHash), false, 'the session row is deleted');

    const { rows } = await server.query(
      "SELECT details->>'client' AS client FROM audit_log WHERE action = 'sign_out' ORDER BY id DESC LIMIT 1");
    assert.deepEqual(rows, [{ client: wiki.client_id }]);

    const settings = await agent.get('/settings');
    assert.notEqual(settings.status, 200, 'the member is signed out');
  });

  test('URI with a query gets state appended', async () => {
    const { agent, tokens, sessionHash } = await signedIn();
    const res = await agent.get(logoutPath({
      id_token_hint: tokens.id_token, post_logout_redirect_uri: WIKI_SIGNED_OUT_QUERY, state: 'a&b=c',
    }));
    assert.equal(res.status, 303, res.text_);
    assert.equal(res.headers.get('location'), WIKI_SIGNED_OUT_QUERY + '&state=a%26b%3Dc');
    assert.equal(await sessionExists(sessionHash), false);
  });

  test('hint by POST without a URI', async () => {
    const { agent, tokens, sessionHash } = await signedIn();
    const res = await agent.post('/oauth/logout', { id_token_hint: tokens.id_token });
    assert.equal(res.status, 200, res.text_);
    assert.match(res.text_, /You are signed out/);
    assertCookieCleared(res);
    assert.equal(await sessionExists(sessionHash), false);
  });

  test('no hint asks for confirmation', async () => {
    const { agent, sessionHash } = await signedIn();

    const page = await agent.get('/oauth/logout');
    assert.equal(page.status, 200, page.text_);
    assert.match(page.text_, /Sign out of Orgo\?/);
    assert.match(page.text_, /name="confirm" value="yes"/);
    assert.ok(await sessionExists(sessionHash), 'showing the page keeps the session');

    const forged = await agent.post('/oauth/logout', { confirm: 'yes', csrf_token: 'x'.repeat(43) });
    assert.equal(forged.status, 403, forged.text_);
    assert.ok(await sessionExists(sessionHash), 'a wrong CSRF token keeps the session');

    const res = await agent.post('/oauth/logout', { confirm: 'yes', csrf_token: csrfToken(page.text_) });
    assert.equal(res.status, 200, res.text_);
    assert.match(res.text_, /You are signed out/);
    assertCookieCleared(res);
    assert.equal(await sessionExists(sessionHash), false, 'the session row is deleted');
  });

  test('confirmation keeps client, URI and state', async () => {
    const { agent, sessionHash } = await signedIn();

    const page = await agent.get(logoutPath({
      client_id: wiki.client_id, post_logout_redirect_uri: WIKI_SIGNED_OUT, state: 'st-2',
    }));
    assert.equal(page.status, 200, page.text_);
    const hidden = Object.fromEntries([...page.text_.matchAll(/<input type="hidden" name="([a-z_]+)" value="([^"]*)">/g)]
      .map((m) => [m[1], m[2]]));
    assert.equal(hidden.client_id, wiki.client_id);
    assert.equal(hidden.post_logout_redirect_uri, WIKI_SIGNED_OUT);
    assert.equal(hidden.state, 'st-2');

    const res = await agent.post('/oauth/logout', hidden);
    assert.equal(res.status, 303, res.text_);
    assert.equal(res.headers.get('location'), WIKI_SIGNED_OUT + '?state=st-2');
    assert.equal(await sessionExists(sessionHash), false);
  });

  test('unregistered URI is rejected', async () => {
    const { agent, tokens, sessionHash } = await signedIn();

    for (const uri of ['https://evil.example.org/signed-out', WIKI_SIGNED_OUT + '/', WIKI_SIGNED_OUT + '?next=x', WIKI_CB]) {
      const res = await agent.get(logoutPath({ id_token_hint: tokens.id_token, post_logout_redirect_uri: uri, state: 's' }));
      assertErrorPage(res);
      assert.match(res.text_, /post_logout_redirect_uri is not registered/, uri);
    }

    // Without a hint or client_id, no application names the URI.
    assertErrorPage(await agent.get(logoutPath({ post_logout_redirect_uri: WIKI_SIGNED_OUT })));
    // The hint's audience is the wiki: another client_id is a mismatch.
    assertErrorPage(await agent.get(logoutPath({
      id_token_hint: tokens.id_token, client_id: other.client_id, post_logout_redirect_uri: WIKI_SIGNED_OUT,
    })));

    await assertStillSignedIn(agent, sessionHash);
  });

  test('tampered hint is rejected', async () => {
    const { agent, tokens, sessionHash } = await signedIn();
    const bobSubject = memberSubject(server, bob.email);
    const [h, p, s] = tokens.id_token.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    const changed = Buffer.from(JSON.stringify({ ...claims, sub: bobSubject })).toString('base64url');
    const flipped = s.slice(0, -2) + (s.at(-2) === 'A' ? 'B' : 'A') + s.at(-1);
    const foreign = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

    const hints = {
      'a changed payload': `${h}.${changed}.${s}`,
      'a changed signature': `${h}.${p}.${flipped}`,
      'a token signed by another key': resign(tokens.id_token, {}, signRs256(foreign)),
      'not a JWT': 'not-a-token',
    };
    for (const [description, hint] of Object.entries(hints)) {
      const res = await agent.get(logoutPath({ id_token_hint: hint, post_logout_redirect_uri: WIKI_SIGNED_OUT, state: 's' }));
      assertErrorPage(res);
      assert.match(res.text_, /id_token_hint is not an ID token from this server/, description);
    }
    await assertStillSignedIn(agent, sessionHash);
  });

  test('access token as hint is rejected', async () => {
    const { agent, tokens, sessionHash } = await signedIn();
    assertErrorPage(await agent.get(logoutPath({ id_token_hint: tokens.access_token })));
    await assertStillSignedIn(agent, sessionHash);
  });

  test("another member's hint asks for confirmation", async () => {
    const { tokens: bobTokens } = await signedIn(bob);
    const { agent, sessionHash } = await signedIn(alice);

    const page = await agent.get(logoutPath({
      id_token_hint: bobTokens.id_token, post_logout_redirect_uri: WIKI_SIGNED_OUT, state: 's',
    }));
    assert.equal(page.status, 200, page.text_);
    assert.match(page.text_, /Sign out of Orgo\?/);
    await assertStillSignedIn(agent, sessionHash);
  });

  test('expired hint is accepted', async () => {
    const { agent, tokens, sessionHash } = await signedIn();
    const { privateKey } = await serverSigningKey(server);
    const now = nowSeconds();
    const expired = resign(tokens.id_token, { iat: now - 7200, exp: now - 3600 }, signRs256(privateKey));

    const res = await agent.get(logoutPath({ id_token_hint: expired, post_logout_redirect_uri: WIKI_SIGNED_OUT }));
    assert.equal(res.status, 303, res.text_);
    assert.equal(res.headers.get('location'), WIKI_SIGNED_OUT);
    assert.equal(await sessionExists(sessionHash), false);
  });

  test('signed-out member is redirected', async () => {
    const { tokens } = await signedIn();
    const agent = new Agent(server.url);
    const res = await agent.get(logoutPath({
      id_token_hint: tokens.id_token, post_logout_redirect_uri: WIKI_SIGNED_OUT, state: 'st-3',
    }));
    assert.equal(res.status, 303, res.text_);
    assert.equal(res.headers.get('location'), WIKI_SIGNED_OUT + '?state=st-3');
  });
});
