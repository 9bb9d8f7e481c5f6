// The device authorization grant (RFC 8628) over HTTPS against the real
// server: the codes from /oauth/device_authorization, the member's decision
// on /device, and the device's token requests with every RFC 8628 section
// 3.5 error. The server runs with ORGO_DEVICE_CODE_TTL=60.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, startServer } from '../helpers/server.js';
import { Agent, addMember, csrfToken } from '../helpers/http.js';
import { addApp, basicAuth, decodeJwt, memberSubject, refresh, sha256Hex, tokenRequest, userinfo } from '../helpers/oauth.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;

let server;
let alice;
let tv;

before(async () => {
  server = await startServer({ env: { ORGO_DEVICE_CODE_TTL: '60' } });
  alice = addMember(server, { email: 'alice@example.org', name: 'Alice Example' });
  tv = addApp(server, { name: 'Lobby TV', description: 'The screen in the lobby', scopes: ['profile', 'email'], grants: ['device_code'] });
});
after(async () => server?.stop());

// POSTs a form to /oauth/device_authorization as 'app': Basic for a
// confidential app, client_id alone for a public one.
async function startDevice(app, form = {}) {
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  const body = { ...form };
  if (app.client_secret) headers.authorization = basicAuth(app.client_id, app.client_secret);
  else body.client_id = app.client_id;
  const res = await fetch(`${server.url}/oauth/device_authorization`, {
    method: 'POST', headers, body: new URLSearchParams(body).toString(),
  });
  res.text_ = await res.text();
  try { res.json = JSON.parse(res.text_); } catch { res.json = null; }
  return res;
}

// One token request of the device, as the app it was issued to.
function poll(app, deviceCode) {
  const form = { grant_type: DEVICE_GRANT, device_code: deviceCode };
  if (app.client_secret) return tokenRequest(server, form, { basic: [app.client_id, app.client_secret] });
  return tokenRequest(server, { ...form, client_id: app.client_id });
}

// Moves the last poll of every device authorization a minute back, so the
// next poll gets no slow_down.
function allowPoll() {
  return server.query("UPDATE device_authorizations SET last_polled_at = now() - interval '1 minute'");
}

async function signedIn(member = alice) {
  const agent = new Agent(server.url);
  const res = await agent.signIn(member.email, member.password);
  assert.equal(res.status, 303, 'signed in');
  return agent;
}

// Enters 'typed' on /device, then posts 'decision' (approve or deny) on
// the confirmation page unless it is null.
async function answer(agent, typed, decision) {
  const form = await agent.get('/device');
  assert.equal(form.status, 200);
  const confirm = await agent.post('/device', { csrf_token: csrfToken(form.text_), user_code: typed });
  if (decision === null || confirm.status !== 200) return { confirm };
  const done = await agent.post('/device', {
    csrf_token: csrfToken(confirm.text_), user_code: /value="([A-Z-]{9})"/.exec(confirm.text_)[1], decision,
  });
  return { confirm, done };
}

// Starts a device authorization for 'app' and approves it as Alice.
async function startAndApprove(app, form) {
  const start = await startDevice(app, form);
  assert.equal(start.status, 200, start.text_);
  const agent = await signedIn();
  const { done } = await answer(agent, start.json.user_code, 'approve');
  assert.equal(done.status, 200);
  return { start: start.json, agent };
}

describe('device authorization endpoint', () => {
  test('discovery lists the endpoint and the grant', async () => {
    const metadata = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
    assert.equal(metadata.device_authorization_endpoint, `${server.url}/oauth/device_authorization`);
    assert.ok(metadata.grant_types_supported.includes(DEVICE_GRANT));
    assert.ok(metadata.scopes_supported.includes('offline_access'));
  });

  test('returns codes, stores only their hashes', async () => {
    const res = await startDevice(tv, { scope: 'openid profile offline_access' });
    assert.equal(res.status, 200, res.text_);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = res.json;
    assert.deepEqual(Object.keys(body).sort(),
      ['device_code', 'expires_in', 'interval', 'user_code', 'verification_uri', 'verification_uri_complete']);
    assert.match(body.device_code, /^[A-Za-z0-9_-]{43}$/);
    assert.match(body.user_code, USER_CODE);
    assert.equal(body.verification_uri, `${server.url}/device`);
    assert.equal(body.verification_uri_complete, `${server.url}/device?user_code=${body.user_code}`);
    assert.equal(body.expires_in, 60);
    assert.equal(body.interval, 5);

    const rows = (await server.query(
      `SELECT d.*, extract(epoch FROM d.expires_at - d.created_at)::int AS ttl, row_to_json(d)::text AS json
       FROM device_authorizations d WHERE device_code_hash = $1`, [sha256Hex(body.device_code)])).rows;
    assert.equal(rows.length, 1);
    // An HMAC under a key derived from the master key, never a plain hash.
    const code = body.user_code.replace('-', '');
    const master = Buffer.from(fs.readFileSync(server.env.ORGO_MASTER_KEY_FILE, 'utf8').trim(), 'hex');
    const codeKey = crypto.createHmac('sha256', master).update('device user codes').digest('hex');
    assert.equal(rows[0].user_code_hash, crypto.createHmac('sha256', codeKey).update(code).digest('hex'));
    assert.notEqual(rows[0].user_code_hash, sha256Hex(code));
    assert.equal(rows[0].scopes, 'openid profile offline_access');
    assert.equal(rows[0].status, 'pending');
    assert.equal(rows[0].poll_interval, 5);
    assert.equal(rows[0].ttl, 60);
    assert.equal(rows[0].json.includes(body.device_code), false, 'no clear device code');
    assert.equal(rows[0].json.includes(body.user_code.replace('-', '')), false, 'no clear user code');
  });

  test('app without the grant is unauthorized_client', async () => {
    const wiki = addApp(server, { name: 'Wiki' });
    const res = await startDevice(wiki, { scope: 'openid' });
    assert.equal(res.status, 400);
    assert.equal(res.json.error, 'unauthorized_client');

    const token = await poll(wiki, 'x'.repeat(43));
    assert.equal(token.status, 400);
    assert.equal(token.json.error, 'unauthorized_client');
  });

  test('wrong client secret is invalid_client', async () => {
    const res = await startDevice({ client_id: tv.client_id, client_secret: 'not-the-secret' }, { scope: 'openid' });
    assert.equal(res.status, 401);
    assert.equal(res.json.error, 'invalid_client');
  });

  test('scope beyond the app is invalid_scope', async () => {
    const res = await startDevice(tv, { scope: 'openid roles' });
    assert.equal(res.status, 400);
    assert.equal(res.json.error, 'invalid_scope');
    const unknown = await startDevice(tv, { scope: 'openid admin' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.error, 'invalid_scope');
  });

  test('GET is not allowed', async () => {
    const res = await fetch(`${server.url}/oauth/device_authorization`);
    assert.equal(res.status, 405);
  });
});

describe('device flow', () => {
  test('pending, slow_down, approve, tokens, then invalid_grant', async () => {
    const start = (await startDevice(tv, { scope: 'openid profile email' })).json;

    const first = await poll(tv, start.device_code);
    assert.equal(first.status, 400);
    assert.equal(first.json.error, 'authorization_pending');

    const fast = await poll(tv, start.device_code);
    assert.equal(fast.status, 400);
    assert.equal(fast.json.error, 'slow_down');
    const row = (await server.query('SELECT poll_interval FROM device_authorizations WHERE device_code_hash = $1',
      [sha256Hex(start.device_code)])).rows[0];
    assert.equal(row.poll_interval, 10, 'slow_down adds 5 seconds to the interval');

    const agent = await signedIn();
    const prefilled = await agent.get(`/device?user_code=${start.user_code.toLowerCase()}`);
    assert.equal(prefilled.status, 200);
    assert.match(prefilled.text_, new RegExp(`name="user_code"[^>]*value="${start.user_code}"`));

    // Lower case without the dash is the same code.
    const { confirm, done } = await answer(agent, start.user_code.replace('-', '').toLowerCase(), 'approve');
    assert.equal(confirm.status, 200);
    assert.match(confirm.text_, /Allow Lobby TV on your device\?/);
    assert.match(confirm.text_, /The screen in the lobby/);
    assert.match(confirm.text_, /Your email address and whether it is verified/);
    assert.match(confirm.text_, new RegExp(`<strong class="mono">${start.user_code}</strong>`));
    assert.equal(done.status, 200);
    assert.match(done.text_, /Device connected/);

    await allowPoll();
    const tokens = await poll(tv, start.device_code);
    assert.equal(tokens.status, 200, tokens.text_);
    assert.equal(tokens.json.token_type, 'Bearer');
    assert.equal(tokens.json.scope, 'openid profile email');
    assert.match(tokens.json.refresh_token, /^[A-Za-z0-9_-]{43}$/);
    const subject = memberSubject(server, alice.email);
    const idToken = decodeJwt(tokens.json.id_token).payload;
    assert.equal(idToken.sub, subject);
    assert.equal(idToken.aud, tv.client_id);
    assert.equal(idToken.nonce, undefined);
    assert.equal(decodeJwt(tokens.json.access_token).payload.sub, subject);

    const info = await userinfo(server, tokens.json.access_token);
    assert.equal(info.status, 200, info.text_);
    assert.equal(info.json.email, alice.email);

    await allowPoll();
    const again = await poll(tv, start.device_code);
    assert.equal(again.status, 400);
    assert.equal(again.json.error, 'invalid_grant');

    const refreshed = await refresh(server, tv, tokens.json.refresh_token);
    assert.equal(refreshed.status, 200, refreshed.text_);

    const consent = await server.query(
      'SELECT co.scopes FROM consents co JOIN clients c ON c.id = co.client_id WHERE c.client_id = $1 AND co.member_id = $2',
      [tv.client_id, alice.id]);
    assert.equal(consent.rows[0].scopes, 'openid profile email', 'listed under Connected apps');
    const audit = await server.query(
      "SELECT count(*)::int AS n FROM audit_log WHERE action = 'device_approved' AND actor_member_id = $1", [alice.id]);
    assert.ok(audit.rows[0].n >= 1);
  });

  test('deny gives access_denied', async () => {
    const start = (await startDevice(tv, { scope: 'openid' })).json;
    const agent = await signedIn();
    const { done } = await answer(agent, start.user_code, 'deny');
    assert.equal(done.status, 200);
    assert.match(done.text_, /Request denied/);

    const res = await poll(tv, start.device_code);
    assert.equal(res.status, 400);
    assert.equal(res.json.error, 'access_denied');

    // The code was denied: it cannot be approved afterwards.
    const late = await answer(agent, start.user_code, null);
    assert.equal(late.confirm.status, 400);
    assert.match(late.confirm.text_, /This code is not valid/);
  });

  test('expired device code gives expired_token', async () => {
    const start = (await startDevice(tv, { scope: 'openid' })).json;
    await server.query("UPDATE device_authorizations SET expires_at = now() - interval '1 second' WHERE device_code_hash = $1",
      [sha256Hex(start.device_code)]);

    const res = await poll(tv, start.device_code);
    assert.equal(res.status, 400);
    assert.equal(res.json.error, 'expired_token');

    const agent = await signedIn();
    const late = await answer(agent, start.user_code, null);
    assert.equal(late.confirm.status, 400);
    assert.match(late.confirm.text_, /This code is not valid/);
  });

  test('public app by client_id', async () => {
    const cli = addApp(server, { name: 'Command Line', isPublic: true, scopes: ['profile'], grants: ['device_code'],
      redirectUris: ['http://127.0.0.1/callback'] });
    assert.equal(cli.client_secret, undefined);
    const { start } = await startAndApprove(cli, { scope: 'profile' });

    const tokens = await poll(cli, start.device_code);
    assert.equal(tokens.status, 200, tokens.text_);
    assert.equal(tokens.json.scope, 'profile');
    assert.equal(tokens.json.id_token, undefined, 'no ID token without openid');
    assert.match(tokens.json.refresh_token, /^[A-Za-z0-9_-]{43}$/);
  });

  test('device-only app without redirect URI', async () => {
    const kiosk = addApp(server, { name: 'Kiosk', isPublic: true, scopes: ['profile'], grants: ['device_code'],
      redirectUris: [] });
    const row = await server.query('SELECT redirect_uris FROM clients WHERE client_id = $1', [kiosk.client_id]);
    assert.deepEqual(row.rows[0].redirect_uris, []);

    const { start, agent } = await startAndApprove(kiosk, { scope: 'profile' });
    const tokens = await poll(kiosk, start.device_code);
    assert.equal(tokens.status, 200, tokens.text_);
    assert.equal(tokens.json.scope, 'profile');

    const page = await agent.get('/oauth/authorize?response_type=code&client_id=' + kiosk.client_id);
    assert.equal(page.status, 400);
    assert.match(page.text_, /The application has no registered redirect URIs/);
    assert.equal(page.headers.get('location'), null);
  });

  test('revoking the app denies an unredeemed approval', async () => {
    const tv = addApp(server, { name: 'Hall TV', scopes: ['profile'], grants: ['device_code'], redirectUris: [] });
    const { start, agent } = await startAndApprove(tv, { scope: 'profile' });

    const page = await agent.get(`/settings/connected-apps/${tv.client_id}/revoke`);
    assert.equal(page.status, 200);
    const revoked = await agent.post(`/settings/connected-apps/${tv.client_id}/revoke`,
      { csrf_token: csrfToken(page.text_) });
    assert.equal(revoked.status, 303);

    const res = await poll(tv, start.device_code);
    assert.equal(res.status, 400, res.text_);
    assert.equal(res.json.error, 'access_denied');
    const audit = await server.query(
      "SELECT details FROM audit_log WHERE action = 'consent_revoked' AND target = $1", [`client:${tv.client_id}`]);
    assert.equal(audit.rows[0].details.device_authorizations_denied, 1);
  });

  test('device code of another app is invalid_grant', async () => {
    const other = addApp(server, { name: 'Other TV', grants: ['device_code'] });
    const start = (await startDevice(tv, { scope: 'openid' })).json;
    const res = await poll(other, start.device_code);
    assert.equal(res.status, 400);
    assert.equal(res.json.error, 'invalid_grant');
    const unknown = await poll(tv, 'y'.repeat(43));
    assert.equal(unknown.json.error, 'invalid_grant');
    const missing = await tokenRequest(server, { grant_type: DEVICE_GRANT }, { basic: [tv.client_id, tv.client_secret] });
    assert.equal(missing.json.error, 'invalid_request');
  });

  test('disabled member gets no tokens', async () => {
    const dora = addMember(server, { email: 'dora@example.org', name: 'Dora' });
    const start = (await startDevice(tv, { scope: 'openid' })).json;
    await answer(await signedIn(dora), start.user_code, 'approve');
    spawnSync(path.join(ROOT, 'build/orgoctl'), ['member', 'disable', '--email', dora.email], { env: server.env });
    const res = await poll(tv, start.device_code);
    assert.equal(res.status, 400);
    assert.equal(res.json.error, 'invalid_grant');
  });
});

describe('/device page', () => {
  test('signed-out member signs in and comes back with the code', async () => {
    const agent = new Agent(server.url);
    const res = await agent.get('/device?user_code=bcdf-ghjk');
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/login?return_to=%2Fdevice%3Fuser_code%3DBCDF-GHJK');

    const malformed = await agent.get('/device?user_code=%3Cscript%3E');
    assert.equal(malformed.headers.get('location'), '/login?return_to=%2Fdevice');
  });

  test('post without CSRF token is rejected', async () => {
    const agent = await signedIn();
    const res = await agent.post('/device', { user_code: 'BCDF-GHJK' });
    assert.equal(res.status, 403);
    const foreign = await agent.post('/device', { csrf_token: csrfToken((await agent.get('/device')).text_), user_code: 'BCDF-GHJK' },
      { origin: 'https://evil.example' });
    assert.equal(foreign.status, 403);
  });

  test('malformed code is explained and not counted', async () => {
    const carol = addMember(server, { email: 'carol@example.org', name: 'Carol' });
    const agent = await signedIn(carol);
    const { confirm } = await answer(agent, 'BCDF-GHJ1', null);
    assert.equal(confirm.status, 400);
    assert.match(confirm.text_, /Enter the 8 letters that your device shows/);
    assert.match(confirm.text_, /value="BCDF-GHJ1"/, 'the typed code is shown again');
    const counted = await server.query('SELECT 1 FROM sign_in_failures WHERE key = $1', [`device:${carol.id}`]);
    assert.equal(counted.rowCount, 0);
  });

  test('wrong codes are throttled per member', async () => {
    const guesser = addMember(server, { email: 'guesser@example.org', name: 'Guesser' });
    const start = (await startDevice(tv, { scope: 'openid' })).json;
    const agent = await signedIn(guesser);
    const wrong = start.user_code === 'BCDF-GHJK' ? 'BCDF-GHJL' : 'BCDF-GHJK';

    for (let i = 1; i <= 4; i++) {
      const { confirm } = await answer(agent, wrong, null);
      assert.equal(confirm.status, 400, `wrong code ${i}`);
      assert.match(confirm.text_, /This code is not valid/);
    }
    const fifth = await answer(agent, wrong, null);
    assert.equal(fifth.confirm.status, 429);
    assert.match(fifth.confirm.text_, /Too many wrong codes\. Try again after \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\./);
    assert.ok(Number(fifth.confirm.headers.get('retry-after')) > 0);

    // While locked, even the right code is not checked.
    const right = await answer(agent, start.user_code, 'approve');
    assert.equal(right.confirm.status, 429);
    const status = await server.query('SELECT status FROM device_authorizations WHERE device_code_hash = $1',
      [sha256Hex(start.device_code)]);
    assert.equal(status.rows[0].status, 'pending');

    const failures = await server.query('SELECT failures FROM sign_in_failures WHERE key = $1', [`device:${guesser.id}`]);
    assert.equal(failures.rows[0].failures, 5);
    const audit = await server.query(
      "SELECT count(*)::int AS n FROM audit_log WHERE action = 'device_code_rejected' AND actor_member_id = $1", [guesser.id]);
    assert.equal(audit.rows[0].n, 5);

    // Once the lock ended the right code works, and it does not clear the
    // count, so a member cannot reset it with a code of their own.
    await server.query("UPDATE sign_in_failures SET locked_until = now() - interval '1 second' WHERE key = $1",
      [`device:${guesser.id}`]);
    const later = await answer(agent, start.user_code, 'approve');
    assert.equal(later.done.status, 200);
    const kept = await server.query('SELECT failures FROM sign_in_failures WHERE key = $1', [`device:${guesser.id}`]);
    assert.equal(kept.rows[0].failures, 5);
  });
});

describe('application form', () => {
  const BASE = '/settings/developers/oauth-applications';

  test('Device flow checkbox sets and clears the grant', async () => {
    const ada = addMember(server, { email: 'ada@example.org', name: 'Ada Admin', roles: ['ADMIN_TENANT'] });
    const agent = await signedIn(ada);
    const blank = await agent.get(`${BASE}/new`);
    assert.match(blank.text_, /Device flow \(apps without a browser\)/);
    assert.match(blank.text_, /on these two addresses the app may listen on any port/);
    assert.match(blank.text_, /name="device_grant" value="1" >/, 'unticked for a new app');

    const created = await agent.post(`${BASE}/new`, [
      ['csrf_token', csrfToken(blank.text_)], ['name', 'Hall Display'], ['description', ''],
      ['redirect_uris', 'http://127.0.0.1/callback'], ['client_type', 'public'], ['device_grant', '1'],
    ]);
    assert.equal(created.status, 200, created.text_);
    const clientId = /<code id="client-id">([A-Za-z0-9_-]+)<\/code>/.exec(created.text_)[1];
    const row = async () => (await server.query(
      'SELECT allowed_device_grant FROM clients WHERE client_id = $1', [clientId])).rows[0].allowed_device_grant;
    assert.equal(await row(), true);
    const audit = await server.query(
      "SELECT details FROM audit_log WHERE action = 'client_created' AND target = $1", [`client:${clientId}`]);
    assert.equal(audit.rows[0].details.allowed_device_grant, true);

    const detail = await agent.get(`${BASE}/${clientId}`);
    assert.match(detail.text_, /name="device_grant" value="1" checked>/);
    assert.match(detail.text_, new RegExp(`<code id="endpoint-\\d+">${server.url}/oauth/device_authorization</code>`));

    // A form posted without the checkbox clears the grant.
    const saved = await agent.post(`${BASE}/${clientId}`, [
      ['csrf_token', csrfToken(detail.text_)], ['name', 'Hall Display'], ['description', ''],
      ['redirect_uris', 'http://127.0.0.1/callback'], ['client_type', 'public'],
    ]);
    assert.equal(saved.status, 303, saved.text_);
    assert.equal(await row(), false);
    const updated = await server.query(
      "SELECT details FROM audit_log WHERE action = 'client_updated' AND target = $1", [`client:${clientId}`]);
    assert.deepEqual(updated.rows[0].details, { allowed_device_grant: { from: true, to: false } });
  });
});

describe('orgoctl app add --grant', () => {
  test('device_code sets allowed_device_grant', async () => {
    const out = spawnSync(path.join(ROOT, 'build/orgoctl'), ['app', 'add', '--name', 'Kiosk', '--redirect-uri',
      'https://kiosk.example.com/cb', '--grant', 'device_code', '--json'], { env: server.env, encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    const { client_id: clientId } = JSON.parse(out.stdout);
    const row = await server.query('SELECT allowed_device_grant FROM clients WHERE client_id = $1', [clientId]);
    assert.equal(row.rows[0].allowed_device_grant, true);

    const shown = spawnSync(path.join(ROOT, 'build/orgoctl'), ['app', 'show', clientId, '--json'],
      { env: server.env, encoding: 'utf8' });
    assert.equal(JSON.parse(shown.stdout).allowed_device_grant, true);
  });

  test('unknown grant is rejected', () => {
    const out = spawnSync(path.join(ROOT, 'build/orgoctl'), ['app', 'add', '--name', 'Kiosk', '--redirect-uri',
      'https://kiosk.example.com/cb', '--grant', 'implicit'], { env: server.env, encoding: 'utf8' });
    assert.equal(out.status, 2);
    assert.equal(out.stderr, "orgoctl: --grant: unknown grant 'implicit': device_code is the only grant to add "
      + '(authorization_code is always allowed)\n');
  });

  test('--help explains loopback ports and the device flow', () => {
    const out = spawnSync(path.join(ROOT, 'build/orgoctl'), ['app', 'add', '--help'], { env: server.env, encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /^usage: orgoctl app add --name N \[--redirect-uri U\]\.\.\./);
    assert.match(out.stdout, /On 127\.0\.0\.1 and\s+\[::1\] any port matches/);
    assert.match(out.stdout, /--grant device_code/);
  });
});
