// Settings → Connected apps: the applications a member allowed, and
// revoking their access, over HTTPS against the real server.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dbClient, startServer } from '../helpers/server.js';
import { Agent, addMember, csrfToken, orgoctl } from '../helpers/http.js';
import { sha256Hex } from '../helpers/oauth.js';

const PAGE = '/settings/connected-apps';
const WIKI_REDIRECT = 'https://wiki.example.org/cb';

let server;

before(async () => {
  server = await startServer();
});
after(async () => server?.stop());

function addApp(name, extra = []) {
  return JSON.parse(orgoctl(server, ['app', 'add', '--name', name,
    '--redirect-uri', WIKI_REDIRECT, '--scope', 'profile', '--scope', 'email',
    ...extra, '--json']));
}

let memberCount = 0;
async function signedInMember(name) {
  memberCount++;
  const member = addMember(server, { email: `member${memberCount}@example.org`, name });
  const agent = new Agent(server.url);
  const res = await agent.signIn(member.email, member.password);
  assert.equal(res.status, 303, 'sign-in succeeded');
  return { member, agent };
}

function hiddenField(html, name) {
  const m = new RegExp(`name="${name}" value="([^"]+)"`).exec(html);
  assert.ok(m, `page has a hidden ${name} field`);
  return m[1];
}

function codeFrom(location) {
  const url = new URL(location);
  assert.equal(url.origin + url.pathname, WIKI_REDIRECT);
  assert.equal(url.searchParams.get('state'), 's');
  const code = url.searchParams.get('code');
  assert.ok(code, `redirect carries a code: ${location}`);
  return code;
}

// Sends the authorization request and, when the consent page is shown,
// submits Allow. Returns the code and whether the consent page was shown.
async function authorize(agent, app, scope = 'openid profile') {
  const query = new URLSearchParams({
    response_type: 'code', client_id: app.client_id, redirect_uri: WIKI_REDIRECT,
    scope, state: 's',
  });
  const res = await agent.get(`/oauth/authorize?${query}`);
  if (res.status === 302) return { code: codeFrom(res.headers.get('location')), consentShown: false };

  assert.equal(res.status, 200, 'consent page shown');
  assert.match(res.text_, /action="\/oauth\/authorize\/consent"/);
  const allowed = await agent.post('/oauth/authorize/consent', {
    csrf_token: csrfToken(res.text_), request: hiddenField(res.text_, 'request'), decision: 'allow',
  });
  assert.equal(allowed.status, 302, 'consent redirects to the application');
  return { code: codeFrom(allowed.headers.get('location')), consentShown: true };
}

// The token endpoint as the application calls it: no cookies, no Origin.
async function tokenRequest(app, form) {
  const res = await fetch(new URL('/oauth/token', server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: app.client_id, client_secret: app.client_secret, ...form }).toString(),
  });
  return { status: res.status, body: await res.json() };
}

async function redeem(app, code) {
  return tokenRequest(app, { grant_type: 'authorization_code', code, redirect_uri: WIKI_REDIRECT });
}

async function refresh(app, refreshToken) {
  return tokenRequest(app, { grant_type: 'refresh_token', refresh_token: refreshToken });
}

async function userinfo(accessToken) {
  const res = await fetch(new URL('/oauth/userinfo', server.url), {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  return { status: res.status, body: await res.json() };
}

// Signs in, allows the app and redeems the code: a member with tokens.
async function connectedMember(name, app) {
  const { member, agent } = await signedInMember(name);
  const { code } = await authorize(agent, app);
  const tokens = await redeem(app, code);
  assert.equal(tokens.status, 200, 'code redeemed');
  return { member, agent, tokens: tokens.body };
}

async function consentCount(member, app) {
  const rows = await server.query(
    'SELECT count(*)::int AS n FROM consents co JOIN clients c ON c.id = co.client_id WHERE co.member_id = $1 AND c.client_id = $2',
    [member.id, app.client_id]);
  return rows.rows[0].n;
}

async function grantsOf(member, app) {
  const rows = await server.query(
    'SELECT g.revoked_at, g.revoked_reason FROM grants g JOIN clients c ON c.id = g.client_id WHERE g.member_id = $1 AND c.client_id = $2',
    [member.id, app.client_id]);
  return rows.rows;
}

function revokePath(app) {
  return `${PAGE}/${app.client_id}/revoke`;
}

// Opens the confirmation page and posts its form, as a browser would.
async function revoke(agent, app) {
  const page = await agent.get(revokePath(app));
  assert.equal(page.status, 200, 'confirmation page shown');
  return agent.post(revokePath(app), { csrf_token: csrfToken(page.text_) });
}

describe('connected apps page', () => {
  test('empty state without consents', async () => {
    const { agent } = await signedInMember('Empty Member');
    const res = await agent.get(PAGE);
    assert.equal(res.status, 200);
    assert.match(res.text_, /<p class="" id="no-connected-apps">You have not allowed any/);
    assert.match(res.text_, /<div class="hidden" id="connected-apps">/);
  });

  test('lists the allowed app and its scopes', async () => {
    const app = addApp('Wiki', ['--description', 'The team wiki']);
    const { agent } = await signedInMember('Lister');
    const { code } = await authorize(agent, app);

    const before = await agent.get(PAGE);
    assert.equal(before.status, 200);
    assert.match(before.text_, /<h2>Wiki<\/h2>/);
    assert.match(before.text_, /The team wiki/);
    assert.match(before.text_, /<li>Sign you in with your Orgo account<\/li>/);
    assert.match(before.text_, /<li>Your name and profile picture<\/li>/);
    assert.doesNotMatch(before.text_, /Your email address/, 'email was not requested');
    assert.match(before.text_, /Allowed since \d{4}-\d\d-\d\d \d\d:\d\d UTC\./);
    assert.match(before.text_, /Last used: never\./, 'no code redeemed yet');
    assert.match(before.text_, new RegExp(`href="${revokePath(app)}"`));
    assert.match(before.text_, /<p class="hidden" id="no-connected-apps">/);

    assert.equal((await redeem(app, code)).status, 200);
    const afterUse = await agent.get(PAGE);
    assert.match(afterUse.text_, /Last used: \d{4}-\d\d-\d\d \d\d:\d\d UTC\./);
  });

  test('last use follows refresh token use', async () => {
    const app = addApp('Refreshing App');
    const { member, agent, tokens } = await connectedMember('Refresher', app);
    await server.query(
      "UPDATE grants SET created_at = '2020-01-02 03:04:00+00' WHERE member_id = $1", [member.id]);
    assert.match((await agent.get(PAGE)).text_, /Last used: 2020-01-02 03:04 UTC\./);

    assert.equal((await refresh(app, tokens.refresh_token)).status, 200);
    const page = await agent.get(PAGE);
    assert.doesNotMatch(page.text_, /Last used: 2020-01-02/);
    assert.match(page.text_, /Last used: \d{4}-\d\d-\d\d \d\d:\d\d UTC\./);
  });

  test('escapes the app name and description', async () => {
    const app = addApp('<b>Bold</b> & Co', ['--description', '"quoted" <i>text</i>']);
    const { agent } = await signedInMember('Escaper');
    await authorize(agent, app);
    const res = await agent.get(PAGE);
    assert.match(res.text_, /<h2>&lt;b&gt;Bold&lt;\/b&gt; &amp; Co<\/h2>/);
    assert.match(res.text_, /&quot;quoted&quot; &lt;i&gt;text&lt;\/i&gt;/);
    assert.doesNotMatch(res.text_, /<b>Bold<\/b>/);
  });

  test('settings links to it for every member', async () => {
    const { agent } = await signedInMember('Plain Member');
    const res = await agent.get('/settings');
    assert.equal(res.status, 200);
    assert.match(res.text_, /<li><a href="\/settings\/connected-apps">Connected apps<\/a>/);
  });

  test('signed out redirects to sign-in', async () => {
    const agent = new Agent(server.url);
    const res = await agent.get(PAGE);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/login?return_to=%2Fsettings%2Fconnected-apps');
  });

  test('signed out revoke redirects to sign-in', async () => {
    const app = addApp('Signed Out App');
    const agent = new Agent(server.url);
    const page = await agent.get(revokePath(app));
    assert.equal(page.status, 303);
    assert.match(page.headers.get('location'), /^\/login\?return_to=%2Fsettings%2Fconnected-apps%2F/);
    const post = await agent.post(revokePath(app), { csrf_token: 'x'.repeat(43) });
    assert.equal(post.status, 303);
    assert.match(post.headers.get('location'), /^\/login/);
  });
});

describe('revoke access', () => {
  let app;
  let member;
  let agent;
  let tokens;
  let revoked;

  before(async () => {
    app = addApp('Wiki');
    ({ member, agent, tokens } = await connectedMember('Revoker', app));
    const first = await userinfo(tokens.access_token);
    assert.equal(first.status, 200, 'access token works before revoking');
    const rotated = await refresh(app, tokens.refresh_token);
    assert.equal(rotated.status, 200, 'refresh works before revoking');
    tokens = rotated.body;
    revoked = await revoke(agent, app);
  });

  test('confirmation page names the app and scopes', async () => {
    const other = addApp('Confirm App');
    const { agent: viewer } = await connectedMember('Viewer', other);
    const page = await viewer.get(revokePath(other));
    assert.equal(page.status, 200);
    assert.match(page.text_, /<h1>Revoke access for Confirm App\?<\/h1>/);
    assert.match(page.text_, /<li>Your name and profile picture<\/li>/);
    assert.match(page.text_, new RegExp(`<form method="post" action="${revokePath(other)}">`));
  });

  test('post redirects with a notice', async () => {
    assert.equal(revoked.status, 303);
    assert.equal(revoked.headers.get('location'), `${PAGE}?revoked=1`);
    const page = await agent.get(revoked.headers.get('location'));
    assert.match(page.text_, /<div class="notice " role="status">Access was revoked\./);
    assert.doesNotMatch(page.text_, /<h2>Wiki<\/h2>/);
    assert.match(page.text_, /<p class="" id="no-connected-apps">/);
  });

  test('consent row is deleted', async () => {
    assert.equal(await consentCount(member, app), 0);
  });

  test('every grant is revoked', async () => {
    const grants = await grantsOf(member, app);
    assert.equal(grants.length, 1);
    assert.ok(grants[0].revoked_at instanceof Date, 'revoked_at is set');
    assert.equal(grants[0].revoked_reason, 'revoked by member');
  });

  test('audit row names member and client', async () => {
    const rows = await server.query(
      "SELECT target, details FROM audit_log WHERE action = 'consent_revoked' AND actor_member_id = $1",
      [member.id]);
    assert.equal(rows.rowCount, 1);
    assert.equal(rows.rows[0].target, `client:${app.client_id}`);
    assert.equal(rows.rows[0].details.scopes, 'openid profile');
    assert.equal(rows.rows[0].details.grants_revoked, 1);
  });

  test('refresh token fails with invalid_grant', async () => {
    const res = await refresh(app, tokens.refresh_token);
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_grant');
  });

  test('access token gets 401 at userinfo', async () => {
    const res = await userinfo(tokens.access_token);
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_token');
  });

  test('next authorization asks for consent', async () => {
    const again = await authorize(agent, app);
    assert.equal(again.consentShown, true);
    assert.equal(await consentCount(member, app), 1);
  });

  test('revoking twice is not found', async () => {
    const other = addApp('Twice App');
    const { agent: twice } = await connectedMember('Twice', other);
    const page = await twice.get(revokePath(other));
    const token = csrfToken(page.text_);
    assert.equal((await twice.post(revokePath(other), { csrf_token: token })).status, 303);
    const second = await twice.post(revokePath(other), { csrf_token: token });
    assert.equal(second.status, 404);
    assert.match(second.text_, /Connected app not found/);
  });

  test('unused code is void after revoke', async () => {
    const other = addApp('Pending Code App');
    const { agent: pending } = await signedInMember('Pending');
    const { code } = await authorize(pending, other);
    assert.equal((await revoke(pending, other)).status, 303);
    const res = await redeem(other, code);
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_grant');
  });
});

describe('revoke isolation and bad input', () => {
  let app;
  let owner;
  let ownerAgent;
  let otherAgent;

  before(async () => {
    app = addApp('Shared Wiki');
    ({ member: owner, agent: ownerAgent } = await connectedMember('Owner', app));
    ({ agent: otherAgent } = await signedInMember('Other'));
  });

  async function assertUnchanged() {
    assert.equal(await consentCount(owner, app), 1, 'consent kept');
    const grants = await grantsOf(owner, app);
    assert.equal(grants.length, 1);
    assert.equal(grants[0].revoked_at, null, 'grant not revoked');
  }

  test('other member does not see it', async () => {
    const res = await otherAgent.get(PAGE);
    assert.equal(res.status, 200);
    assert.doesNotMatch(res.text_, /Shared Wiki/);
  });

  test('other member gets 404 on confirm', async () => {
    const res = await otherAgent.get(revokePath(app));
    assert.equal(res.status, 404);
    assert.match(res.text_, /Connected app not found/);
    assert.doesNotMatch(res.text_, /Shared Wiki/);
  });

  test('other member cannot revoke it', async () => {
    const settings = await otherAgent.get('/settings');
    const res = await otherAgent.post(revokePath(app), { csrf_token: csrfToken(settings.text_) });
    assert.equal(res.status, 404);
    await assertUnchanged();
  });

  test('unknown client is not found', async () => {
    const unknown = `${PAGE}/${'A'.repeat(24)}/revoke`;
    assert.equal((await ownerAgent.get(unknown)).status, 404);
    const page = await ownerAgent.get(PAGE);
    const res = await ownerAgent.post(unknown, { csrf_token: csrfToken(page.text_) });
    assert.equal(res.status, 404);
    await assertUnchanged();
  });

  test('malformed client id is not found', async () => {
    const res = await ownerAgent.get(`${PAGE}/short/revoke`);
    assert.equal(res.status, 404);
  });

  test('wrong CSRF token is rejected', async () => {
    const res = await ownerAgent.post(revokePath(app), { csrf_token: 'x'.repeat(43) });
    assert.equal(res.status, 403);
    assert.match(res.text_, /Request rejected/);
    await assertUnchanged();
  });

  test('missing CSRF token is rejected', async () => {
    const res = await ownerAgent.post(revokePath(app), {});
    assert.equal(res.status, 403);
    await assertUnchanged();
  });

  test('foreign Origin is rejected', async () => {
    const page = await ownerAgent.get(revokePath(app));
    const res = await ownerAgent.post(revokePath(app), { csrf_token: csrfToken(page.text_) },
      { origin: 'https://evil.example' });
    assert.equal(res.status, 403);
    await assertUnchanged();
  });

  test('wrong content type is rejected', async () => {
    const page = await ownerAgent.get(revokePath(app));
    const res = await ownerAgent.request('POST', revokePath(app), {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ csrf_token: csrfToken(page.text_) }),
    });
    assert.equal(res.status, 400);
    assert.match(res.text_, /application\/x-www-form-urlencoded/);
    await assertUnchanged();
  });

  test('no audit row for rejected posts', async () => {
    const rows = await server.query(
      "SELECT count(*)::int AS n FROM audit_log WHERE action = 'consent_revoked' AND target = $1",
      [`client:${app.client_id}`]);
    assert.equal(rows.rows[0].n, 0);
  });
});

describe('revoke during a redemption', () => {
  test('grant of a code redeemed meanwhile is revoked', async () => {
    const app = addApp('Race Wiki');
    const { member, agent } = await signedInMember('Racer');
    const { code } = await authorize(agent, app);
    const clientPk = (await server.query('SELECT id FROM clients WHERE client_id = $1', [app.client_id])).rows[0].id;

    // A redemption in flight: the code row is locked, its grant not yet committed.
    const redeemer = await dbClient(server.db.conninfo);
    try {
      await redeemer.query('BEGIN');
      const redeemed = await redeemer.query(
        "SELECT status FROM oauth_redeem_code($1, $2, $3, NULL, 'race-grant', NULL, 3600, 86400)",
        [sha256Hex(code), clientPk, WIKI_REDIRECT]);
      assert.equal(redeemed.rows[0].status, 'ok');

      const page = await agent.get(revokePath(app));
      const posted = agent.post(revokePath(app), { csrf_token: csrfToken(page.text_) });
      let waiting = false;
      for (let i = 0; i < 50 && !waiting; i++) {
        const r = await server.query(`SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE wait_event_type = 'Lock' AND query LIKE 'SELECT consent_revoke%'`);
        waiting = r.rows[0].n === 1;
        if (!waiting) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(waiting, true, 'the revoke waits for the code row');
      await redeemer.query('COMMIT');
      assert.equal((await posted).status, 303);
    } finally {
      await redeemer.end();
    }

    const grants = await grantsOf(member, app);
    assert.equal(grants.length, 1);
    assert.equal(grants[0].revoked_reason, 'revoked by member');
  });
});
