// Signing key rotation against the real server. `orgoctl keys rotate`
// publishes a new key at once and lets it sign later. Every worker reloads
// the keys from PostgreSQL within 30 s. A retired key stays published until
// its remove_after. Private keys are sealed in the database and never
// published. The steps run in order and share one server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import * as jose from 'jose';
import { startServer } from '../helpers/server.js';
import { Agent, addMember, orgoctl } from '../helpers/http.js';
import { addApp, authorize, basicAuth, decodeJwt, redeemCode, refresh, userinfo } from '../helpers/oauth.js';

const WIKI_CB = 'https://wiki.example.org/cb';
// KEYS_RELOAD_MS in src/oidc_discovery.c: each worker reloads this often.
const RELOAD_MS = 30_000;
// How long a test waits for a reload before it fails.
const RELOAD_WAIT_MS = 35_000;
// CTL_KEYS_PUBLISH in src/ctl_keys.c and the default ORGO_ACCESS_TOKEN_TTL.
const PUBLISH_SECONDS = 600;
const ACCESS_TOKEN_TTL = 600;
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'];

let server;
// A second server whose signing key is older than ORGO_KEY_ROTATION_DAYS.
let scheduled;
let scheduledStartedAt;
let alice;
let wiki;
let agent;
let oldKid;
let newKid;
// Tokens signed by the first key, kept for the later steps.
let oldTokens;

before(async () => {
  server = await startServer();
  alice = addMember(server, { email: 'alice@example.org', name: 'Alice Example' });
  wiki = addApp(server, { name: 'Wiki', redirectUris: [WIKI_CB], scopes: ['profile'] });
  agent = new Agent(server.url);

  // Worker 1 checks the signer's age after each reload. Start once to
  // create the key, make it 2 days old, then start with a 1-day period:
  // the scheduled rotation runs while the other tests do.
  const first = await startServer();
  await first.stop();
  await first.query("UPDATE signing_keys SET created_at = now() - interval '2 days'");
  scheduled = await startServer({ database: first.db, env: { ORGO_KEY_ROTATION_DAYS: '1' } });
  scheduledStartedAt = Date.now();
});
after(async () => {
  await server?.stop();
  await scheduled?.stop();
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// GET over a new TLS connection each time, so that successive requests
// may reach different Kore workers.
function getFresh(url) {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${url} timed out after 10 s`)));
  });
}

async function jwks() {
  const res = await getFresh(server.url + '/oauth/jwks');
  assert.equal(res.status, 200, res.body);
  return JSON.parse(res.body);
}

async function jwksKids() {
  return (await jwks()).keys.map((k) => k.kid).sort();
}

function assertNoPrivateMembers(set) {
  for (const jwk of set.keys) {
    for (const member of PRIVATE_JWK_MEMBERS) {
      assert.ok(!(member in jwk), `JWK ${jwk.kid} has no private member "${member}"`);
    }
  }
}

/*
 * Polls 'check' until it returns true, failing 35 s after 'changedAt'.
 * Then waits until 31 s have passed since 'changedAt': by then the 30 s
 * reload timer of every worker has fired, so whichever worker handles a
 * request serves the new keys.
 */
async function waitForReload(changedAt, check, description) {
  const deadline = changedAt + RELOAD_WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${description}: not seen within ${RELOAD_WAIT_MS / 1000} s of the change`);
    await sleep(500);
  }
  const allReloaded = changedAt + RELOAD_MS + 1000;
  if (Date.now() < allReloaded) await sleep(allReloaded - Date.now());
}

// Runs the authorization code flow for Alice (consent is remembered after
// the first run) and returns the token response.
async function memberTokens() {
  const result = await authorize(agent, {
    response_type: 'code', client_id: wiki.client_id, redirect_uri: WIKI_CB, scope: 'openid profile', nonce: 'n-1',
  }, { member: alice });
  assert.ok(result.code, 'the flow returns a code');
  const res = await redeemCode(server, wiki, result.code, { redirectUri: WIKI_CB });
  assert.equal(res.status, 200, res.text_);
  return res.json;
}

const kidOf = (token) => decodeJwt(token).header.kid;

// Verifies with a new remote key set each time, because jose does not
// refetch a cached JWKS for an unknown kid within 30 s.
function verifyRemote(token, options) {
  return jose.jwtVerify(token, jose.createRemoteJWKSet(new URL(server.url + '/oauth/jwks')), {
    issuer: server.url, algorithms: ['RS256'], ...options,
  });
}

// Returns the state column of `orgoctl keys list` by kid.
function listedStates() {
  const states = new Map();
  for (const line of orgoctl(server, ['keys', 'list']).trim().split('\n')) {
    const m = /^(\S+) {2}created \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC {2}(.+)$/.exec(line);
    assert.ok(m, `keys list line has the documented format: "${line}"`);
    states.set(m[1], m[2]);
  }
  return states;
}

test('first key signs and is sealed', async () => {
  const { rows } = await server.query('SELECT kid, sealed_private_key, public_pem FROM signing_keys');
  assert.equal(rows.length, 1, 'a new database gets one key');
  oldKid = rows[0].kid;
  assert.doesNotMatch(rows[0].sealed_private_key, /PRIVATE KEY/);
  assert.doesNotMatch(rows[0].sealed_private_key, /BEGIN/);
  assert.match(rows[0].public_pem, /BEGIN PUBLIC KEY/);

  assert.deepEqual(listedStates(), new Map([[oldKid, 'signing']]));

  const set = await jwks();
  assert.deepEqual(set.keys.map((k) => k.kid), [oldKid]);
  assertNoPrivateMembers(set);

  oldTokens = await memberTokens();
  assert.equal(kidOf(oldTokens.access_token), oldKid);
  assert.equal(kidOf(oldTokens.id_token), oldKid);
  assert.equal((await userinfo(server, oldTokens.access_token)).status, 200);
});

test('rotate publishes the new key first', async () => {
  const output = orgoctl(server, ['keys', 'rotate']);
  const changedAt = Date.now();
  const m = /^new signing key (\S+): published now, signs in 600 s/.exec(output);
  assert.ok(m, `rotate names the new key: ${output}`);
  newKid = m[1];
  assert.notEqual(newKid, oldKid);

  const { rows } = await server.query(`SELECT kid, sealed_private_key,
      extract(epoch FROM sign_after - now()) AS signs_in,
      extract(epoch FROM retired_at - now()) AS retires_in,
      extract(epoch FROM remove_after - retired_at) AS published_after_retired
    FROM signing_keys`);
  const byKid = new Map(rows.map((r) => [r.kid, r]));
  assert.equal(rows.length, 2);
  assert.ok(Math.abs(byKid.get(newKid).signs_in - PUBLISH_SECONDS) < 10, `new key signs in ${byKid.get(newKid).signs_in} s`);
  assert.ok(Math.abs(byKid.get(oldKid).retires_in - PUBLISH_SECONDS) < 10, `old key retires in ${byKid.get(oldKid).retires_in} s`);
  assert.equal(Number(byKid.get(oldKid).published_after_retired), ACCESS_TOKEN_TTL + 60);
  for (const row of rows) assert.doesNotMatch(row.sealed_private_key, /PRIVATE KEY/, `key ${row.kid} is sealed`);

  const states = listedStates();
  assert.equal(states.get(oldKid), 'signing');
  assert.match(states.get(newKid), /^published, signs from \d\d:\d\d:\d\d$/);

  const both = [oldKid, newKid].sort();
  await waitForReload(changedAt, async () => (await jwksKids()).join() === both.join(), 'both keys in the JWKS');

  for (let i = 0; i < 4; i++) {
    const set = await jwks();
    assert.deepEqual(set.keys.map((k) => k.kid).sort(), both);
    assertNoPrivateMembers(set);
  }

  // Published is not signing: new tokens still come from the old key.
  for (let i = 0; i < 3; i++) {
    const tokens = await memberTokens();
    assert.equal(kidOf(tokens.access_token), oldKid, 'access token signed by the old key');
    assert.equal(kidOf(tokens.id_token), oldKid, 'ID token signed by the old key');
    await verifyRemote(tokens.access_token, { audience: server.url, typ: 'at+jwt' });
  }
  const refreshed = await refresh(server, wiki, oldTokens.refresh_token);
  assert.equal(refreshed.status, 200, refreshed.text_);
  assert.equal(kidOf(refreshed.json.access_token), oldKid);
});

test('new key signs after sign_after', async () => {
  await server.query('UPDATE signing_keys SET sign_after = now() WHERE kid = $1', [newKid]);
  await server.query('UPDATE signing_keys SET retired_at = now() WHERE kid = $1', [oldKid]);
  const changedAt = Date.now();

  await waitForReload(changedAt, async () => kidOf((await memberTokens()).access_token) === newKid,
    'tokens signed by the new key');

  for (let i = 0; i < 3; i++) {
    const tokens = await memberTokens();
    assert.equal(kidOf(tokens.access_token), newKid, 'access token signed by the new key');
    assert.equal(kidOf(tokens.id_token), newKid, 'ID token signed by the new key');
    await verifyRemote(tokens.access_token, { audience: server.url, typ: 'at+jwt' });
    await verifyRemote(tokens.id_token, { audience: wiki.client_id });
    assert.equal((await userinfo(server, tokens.access_token)).status, 200);
  }

  // The retired key still verifies the tokens it signed.
  assert.deepEqual(await jwksKids(), [oldKid, newKid].sort());
  const res = await userinfo(server, oldTokens.access_token);
  assert.equal(res.status, 200, res.text_);
  await verifyRemote(oldTokens.access_token, { audience: server.url, typ: 'at+jwt' });

  const states = listedStates();
  assert.equal(states.get(newKid), 'signing');
  assert.equal(states.get(oldKid), 'retired (published)');
});

test('removed key leaves the JWKS', async () => {
  await server.query("UPDATE signing_keys SET remove_after = now() - interval '1 second' WHERE kid = $1", [oldKid]);
  const changedAt = Date.now();

  await waitForReload(changedAt, async () => !(await jwksKids()).includes(oldKid), 'old key gone from the JWKS');

  for (let i = 0; i < 4; i++) {
    const set = await jwks();
    assert.deepEqual(set.keys.map((k) => k.kid), [newKid]);
    assertNoPrivateMembers(set);
  }

  for (let i = 0; i < 3; i++) {
    const res = await userinfo(server, oldTokens.access_token);
    assert.equal(res.status, 401, res.text_);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  }
  const introspection = await fetch(server.url + '/oauth/introspect', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(wiki.client_id, wiki.client_secret) },
    body: new URLSearchParams({ token: oldTokens.access_token }).toString(),
  });
  assert.equal(introspection.status, 200);
  assert.deepEqual(await introspection.json(), { active: false });

  const tokens = await memberTokens();
  assert.equal(kidOf(tokens.access_token), newKid);
  assert.equal((await userinfo(server, tokens.access_token)).status, 200);

  assert.equal(listedStates().get(oldKid), 'removed');
});

// Writes a valid master key file that differs from the server's.
function wrongMasterKeyFile() {
  const file = path.join(server.dir, 'wrong-master.key');
  fs.writeFileSync(file, crypto.randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
  return file;
}

test('rotate with wrong master key fails', async () => {
  const before = await server.query('SELECT kid, retired_at, remove_after FROM signing_keys ORDER BY kid');
  const env = { ...server.env, ORGO_MASTER_KEY_FILE: wrongMasterKeyFile() };

  assert.throws(() => orgoctl({ ...server, env }, ['keys', 'rotate']), (error) => {
    assert.equal(error.status, 1, `orgoctl exits with status 1:\n${error.stdout}${error.stderr}`);
    assert.match(error.stderr, /ORGO_MASTER_KEY_FILE/);
    return true;
  });

  const afterRotate = await server.query('SELECT kid, retired_at, remove_after FROM signing_keys ORDER BY kid');
  assert.deepEqual(afterRotate.rows, before.rows, 'no key is added and none is retired');
});

test('wrong master key stops start-up', async () => {
  const wrongKeyFile = wrongMasterKeyFile();
  const before = await server.query('SELECT kid FROM signing_keys ORDER BY kid');

  const result = await startServer({
    database: server.db, env: { ORGO_MASTER_KEY_FILE: wrongKeyFile }, expectFailure: true,
  });
  assert.notEqual(result.code, 0, `the server exits with an error:\n${result.output}`);
  assert.match(result.output, /ORGO_MASTER_KEY_FILE/);
  assert.match(result.output, new RegExp(newKid), 'the message names the key that cannot be opened');

  const afterStart = await server.query('SELECT kid FROM signing_keys ORDER BY kid');
  assert.deepEqual(afterStart.rows, before.rows, 'the failed start adds no key');
  assert.equal((await fetch(server.url + '/healthz')).status, 200, 'the running server is unaffected');
});

test('scheduled rotation adds one key', async () => {
  // The first reload (30 s) rotates, and the next reload of each worker
  // (30 s more) publishes the new key.
  const deadline = scheduledStartedAt + 2 * RELOAD_MS + 10_000;
  let kids = [];
  while (kids.length < 2) {
    const res = await getFresh(scheduled.url + '/oauth/jwks');
    assert.equal(res.status, 200, res.body);
    kids = JSON.parse(res.body).keys.map((k) => k.kid);
    if (kids.length >= 2) break;
    if (Date.now() > deadline) assert.fail(`no second key in the JWKS ${(Date.now() - scheduledStartedAt) / 1000} s after start`);
    await sleep(1000);
  }
  assert.equal(kids.length, 2, `JWKS kids: ${kids}`);

  const { rows } = await scheduled.query(`SELECT kid, retired_at IS NULL AS current,
      extract(epoch FROM sign_after - created_at) AS publish_seconds
    FROM signing_keys ORDER BY created_at`);
  assert.equal(rows.length, 2, 'one key was added, not one per reload');
  assert.equal(rows[1].current, true, 'the new key is not retired');
  assert.equal(Math.round(Number(rows[1].publish_seconds)), PUBLISH_SECONDS);
  assert.equal(rows[0].current, false, 'the old key has a retirement time');
  assert.deepEqual(kids.toSorted(), rows.map((r) => r.kid).toSorted());

  // The first key was added through signing_key_rotate() too.
  const audit = await scheduled.query("SELECT target FROM audit_log WHERE action = 'signing_key_rotated' ORDER BY id");
  assert.deepEqual(audit.rows.map((r) => r.target), rows.map((r) => 'key:' + r.kid));
});
