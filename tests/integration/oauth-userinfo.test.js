// The userinfo endpoint over HTTPS against the real server: claims per
// scope, where the access token may be sent, and every kind of token that
// must be rejected with 401 invalid_token.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer } from '../helpers/server.js';
import { Agent, addMember, orgoctl } from '../helpers/http.js';
import {
  addApp, authorize, decodeJwt, encodeJwt, memberSubject, redeemCode, serverSigningKey, signHs256, signRs256, signingKeys,
  userinfo,
} from '../helpers/oauth.js';

const WIKI_CB = 'https://wiki.example.org/cb';
const PICTURE = 'https://pictures.example.org/uma.png';
// A fixed time with no fraction of a second, so updated_at is exact.
const UPDATED_AT = '2024-05-01T10:00:00Z';
const UPDATED_AT_EPOCH = Date.parse(UPDATED_AT) / 1000;

let server;
let uma;
let umaSubject;
let umaAgent;
let wiki;
let signer;

before(async () => {
  server = await startServer();
  uma = addMember(server, {
    email: 'uma@example.org', name: 'Uma User', groups: ['Editors', 'Board'], roles: ['MEMBER', 'ADMIN_TENANT'],
  });
  await server.query('UPDATE members SET picture = $1, updated_at = $2 WHERE email = $3', [PICTURE, UPDATED_AT, uma.email]);
  umaSubject = memberSubject(server, uma.email);
  wiki = addApp(server, { name: 'Wiki', redirectUris: [WIKI_CB], scopes: ['profile', 'email', 'groups', 'roles'] });

  // One consent for every scope; later requests for fewer scopes skip it.
  umaAgent = new Agent(server.url);
  await authorize(umaAgent, wikiParams('openid profile email groups roles'), { member: uma });
  signer = await serverSigningKey(server);
});
after(async () => server?.stop());

function wikiParams(scope) {
  return { client_id: wiki.client_id, redirect_uri: WIKI_CB, response_type: 'code', scope };
}

// Runs the code flow for 'member' with 'app' and returns the token response.
async function tokensFor(scope, { agent = umaAgent, app = wiki, member } = {}) {
  const result = await authorize(agent, { ...wikiParams(scope), client_id: app.client_id, redirect_uri: app.redirectUris[0] },
    { member });
  const res = await redeemCode(server, app, result.code, { redirectUri: app.redirectUris[0] });
  assert.equal(res.status, 200, res.text_);
  return res.json;
}

// Checks a 401 with a Bearer challenge carrying error="invalid_token".
function assertInvalidToken(res) {
  assert.equal(res.status, 401, res.text_);
  const challenge = res.headers.get('www-authenticate');
  assert.match(challenge, /^Bearer realm="orgo", error="invalid_token"/);
  assert.equal(res.json.error, 'invalid_token');
  assert.equal(res.headers.get('cache-control'), 'no-store');
}

// The claims of a real access token, for forging variants of it.
async function realClaims() {
  const { access_token: token } = await tokensFor('openid profile');
  return decodeJwt(token);
}

describe('claims per scope', () => {
  const expected = {
    sub: () => ({ sub: umaSubject }),
    profile: () => ({ name: 'Uma User', picture: PICTURE, updated_at: UPDATED_AT_EPOCH }),
    email: () => ({ email: 'uma@example.org', email_verified: true }),
    groups: () => ({ groups: ['Board', 'Editors'] }),
    roles: () => ({ roles: ['ADMIN_TENANT', 'MEMBER'] }),
  };
  const cases = [
    ['openid'],
    ['openid', 'profile'],
    ['openid', 'email'],
    ['openid', 'groups'],
    ['openid', 'roles'],
    ['profile'],
    ['openid', 'profile', 'email', 'groups', 'roles'],
  ];
  for (const scopes of cases) {
    test(`scope ${scopes.join(' ')}`, async () => {
      const { access_token: token } = await tokensFor(scopes.join(' '));
      const res = await userinfo(server, token);
      assert.equal(res.status, 200, res.text_);
      let want = expected.sub();
      for (const scope of scopes) if (expected[scope]) want = { ...want, ...expected[scope]() };
      assert.deepEqual(res.json, want);
    });
  }

  test('no picture when none is set', async () => {
    const vera = addMember(server, { email: 'vera@example.org', name: 'Vera', verified: false });
    const { access_token: token } = await tokensFor('openid profile email', { agent: new Agent(server.url), member: vera });
    const res = await userinfo(server, token);
    assert.equal(res.status, 200, res.text_);
    assert.deepEqual(Object.keys(res.json).sort(), ['email', 'email_verified', 'name', 'sub', 'updated_at']);
    assert.equal(res.json.email_verified, false);
    assert.equal(res.json.groups, undefined);
  });

  test('no groups is an empty list', async () => {
    const walt = addMember(server, { email: 'walt@example.org', name: 'Walt' });
    const { access_token: token } = await tokensFor('openid groups roles', { agent: new Agent(server.url), member: walt });
    const res = await userinfo(server, token);
    // orgoctl gives every new member the MEMBER role.
    assert.deepEqual(res.json, { sub: memberSubject(server, walt.email), groups: [], roles: ['MEMBER'] });
  });

  test('current data, not data at issue', async () => {
    const xena = addMember(server, { email: 'xena@example.org', name: 'Xena' });
    const { access_token: token } = await tokensFor('openid profile groups', { agent: new Agent(server.url), member: xena });
    await server.query("UPDATE members SET name = 'Xena Renamed' WHERE email = $1", [xena.email]);
    orgoctl(server, ['member', 'add-group', '--email', xena.email, '--group', 'Choir']);
    const res = await userinfo(server, token);
    assert.equal(res.json.name, 'Xena Renamed');
    assert.deepEqual(res.json.groups, ['Choir']);
  });
});

describe('where the token is sent', () => {
  test('Bearer header, any letter case', async () => {
    const { access_token: token } = await tokensFor('openid');
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const res = await userinfo(server, token, { scheme });
      assert.equal(res.status, 200, `${scheme}: ${res.text_}`);
      assert.deepEqual(res.json, { sub: umaSubject });
    }
  });

  test('POST with Bearer header', async () => {
    const { access_token: token } = await tokensFor('openid');
    const res = await userinfo(server, token, { method: 'POST' });
    assert.equal(res.status, 200, res.text_);
  });

  test('POST form body', async () => {
    const { access_token: token } = await tokensFor('openid email');
    const res = await fetch(`${server.url}/oauth/userinfo`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ access_token: token }).toString(),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { sub: umaSubject, email: uma.email, email_verified: true });
  });

  test('header and body together', async () => {
    const { access_token: token } = await tokensFor('openid');
    const res = await fetch(`${server.url}/oauth/userinfo`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ access_token: token }).toString(),
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, 'invalid_request');
  });

  test('query string is rejected', async () => {
    const { access_token: token } = await tokensFor('openid');
    const res = await fetch(`${server.url}/oauth/userinfo?access_token=${encodeURIComponent(token)}`);
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error, 'invalid_request');
    assert.match(res.headers.get('www-authenticate'), /^Bearer realm="orgo", error="invalid_request"/);
  });

  test('query string with a header too', async () => {
    const { access_token: token } = await tokensFor('openid');
    const res = await fetch(`${server.url}/oauth/userinfo?access_token=${encodeURIComponent(token)}`,
      { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 400);
  });

  test('no token gets a bare challenge', async () => {
    const res = await fetch(`${server.url}/oauth/userinfo`);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="orgo"');
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  test('other scheme is rejected', async () => {
    const res = await fetch(`${server.url}/oauth/userinfo`, { headers: { authorization: basicHeader() } });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="orgo"');
    assert.equal((await res.json()).error_description, 'the Authorization header must use the Bearer scheme');
  });

  test('PUT is not allowed', async () => {
    const res = await fetch(`${server.url}/oauth/userinfo`, { method: 'PUT' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, POST, OPTIONS');
  });

  test('Cache-Control no-store', async () => {
    const { access_token: token } = await tokensFor('openid');
    const res = await userinfo(server, token);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.match(res.headers.get('content-type'), /^application\/json/);
  });
});

function basicHeader() {
  return 'Basic ' + Buffer.from(`${wiki.client_id}:${wiki.client_secret}`).toString('base64');
}

describe('rejected tokens', () => {
  test('tampered payload', async () => {
    const { access_token: token } = await tokensFor('openid');
    const [h, p, s] = token.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    payload.scope = 'openid profile email groups roles';
    const tampered = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    assertInvalidToken(await userinfo(server, tampered));
  });

  test('tampered signature', async () => {
    const { access_token: token } = await tokensFor('openid');
    const signature = Buffer.from(token.split('.')[2], 'base64url');
    signature[0] ^= 1;
    const parts = token.split('.');
    assertInvalidToken(await userinfo(server, `${parts[0]}.${parts[1]}.${signature.toString('base64url')}`));
  });

  test('expired token', async () => {
    const { header, payload } = await realClaims();
    const now = Math.floor(Date.now() / 1000);
    const expired = encodeJwt(header, { ...payload, iat: now - 700, exp: now - 100 }, signRs256(signer.privateKey));
    const res = await userinfo(server, expired);
    assertInvalidToken(res);
    assert.match(res.headers.get('www-authenticate'), /token expired/);

    const fresh = encodeJwt(header, { ...payload, iat: now, exp: now + 100 }, signRs256(signer.privateKey));
    assert.equal((await userinfo(server, fresh)).status, 200, 'the same claims with a future exp pass');
  });

  test('token without exp', async () => {
    const { header, payload } = await realClaims();
    const { exp: _, ...rest } = payload;
    assertInvalidToken(await userinfo(server, encodeJwt(header, rest, signRs256(signer.privateKey))));
  });

  test('foreign key with the real kid', async () => {
    const { header, payload } = await realClaims();
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const res = await userinfo(server, encodeJwt(header, payload, signRs256(privateKey)));
    assertInvalidToken(res);
    assert.match(res.headers.get('www-authenticate'), /bad signature/);
  });

  test('alg none', async () => {
    const { header, payload } = await realClaims();
    const token = encodeJwt({ ...header, alg: 'none' }, payload, () => Buffer.alloc(0));
    const res = await userinfo(server, token);
    assertInvalidToken(res);
    assert.match(res.headers.get('www-authenticate'), /unsupported alg/);
  });

  test('HS256 with the public key as secret', async () => {
    const { header, payload } = await realClaims();
    const [{ public_pem: publicPem }] = await signingKeys(server);
    const res = await userinfo(server, encodeJwt({ ...header, alg: 'HS256' }, payload, signHs256(publicPem)));
    assertInvalidToken(res);
    assert.match(res.headers.get('www-authenticate'), /unsupported alg/);
  });

  test('unknown kid', async () => {
    const { header, payload } = await realClaims();
    const res = await userinfo(server, encodeJwt({ ...header, kid: 'no-such-key' }, payload, signRs256(signer.privateKey)));
    assertInvalidToken(res);
    assert.match(res.headers.get('www-authenticate'), /unknown kid/);
  });

  test('missing kid', async () => {
    const { header, payload } = await realClaims();
    const { kid: _, ...rest } = header;
    assertInvalidToken(await userinfo(server, encodeJwt(rest, payload, signRs256(signer.privateKey))));
  });

  test('ID token is not an access token', async () => {
    const { id_token: idToken } = await tokensFor('openid');
    const res = await userinfo(server, idToken);
    assertInvalidToken(res);
    assert.match(res.headers.get('www-authenticate'), /unexpected typ/);
  });

  test('wrong issuer, real key', async () => {
    const { header, payload } = await realClaims();
    const res = await userinfo(server, encodeJwt(header, { ...payload, iss: 'https://issuer.example.org' }, signRs256(signer.privateKey)));
    assertInvalidToken(res);
    assert.match(res.headers.get('www-authenticate'), /wrong issuer/);
  });

  test('wrong issuer, foreign key', async () => {
    const { header, payload } = await realClaims();
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = encodeJwt(header, { ...payload, iss: 'https://issuer.example.org' }, signRs256(privateKey));
    assertInvalidToken(await userinfo(server, token));
  });

  test('unknown grant', async () => {
    const { header, payload } = await realClaims();
    const token = encodeJwt(header, { ...payload, gid: 'A'.repeat(43) }, signRs256(signer.privateKey));
    assertInvalidToken(await userinfo(server, token));
  });

  test('subject of another member', async () => {
    const yara = addMember(server, { email: 'yara@example.org', name: 'Yara' });
    const { header, payload } = await realClaims();
    const token = encodeJwt(header, { ...payload, sub: memberSubject(server, yara.email) }, signRs256(signer.privateKey));
    assertInvalidToken(await userinfo(server, token));
  });

  test('not a JWT', async () => {
    assertInvalidToken(await userinfo(server, 'not-a-token'));
  });

  test('deleted app', async () => {
    const doomed = addApp(server, { name: 'Doomed', redirectUris: ['https://doomed.example.org/cb'], scopes: ['profile'] });
    const tokens = await tokensFor('openid profile', { app: doomed });
    assert.equal((await userinfo(server, tokens.access_token)).status, 200, 'works before the deletion');
    orgoctl(server, ['app', 'delete', doomed.client_id]);
    assertInvalidToken(await userinfo(server, tokens.access_token));
  });

  test('disabled member', async () => {
    const zoe = addMember(server, { email: 'zoe@example.org', name: 'Zoe' });
    const tokens = await tokensFor('openid', { agent: new Agent(server.url), member: zoe });
    assert.equal((await userinfo(server, tokens.access_token)).status, 200, 'works before disabling');
    orgoctl(server, ['member', 'disable', '--email', zoe.email]);
    assertInvalidToken(await userinfo(server, tokens.access_token));
  });

  test('client_credentials token', async () => {
    const res = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: basicHeader(), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=profile',
    });
    const { access_token: token } = await res.json();
    assertInvalidToken(await userinfo(server, token));
  });
});

describe('CORS', () => {
  test('app origin gets the header', async () => {
    const { access_token: token } = await tokensFor('openid');
    const res = await userinfo(server, token, { origin: 'https://wiki.example.org' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://wiki.example.org');
    assert.match(res.headers.get('vary') ?? '', /Origin/);
  });

  test('other origin gets none', async () => {
    const { access_token: token } = await tokensFor('openid');
    const res = await userinfo(server, token, { origin: 'https://evil.example' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), null);
  });

  test('preflight for the app origin', async () => {
    const res = await fetch(`${server.url}/oauth/userinfo`, {
      method: 'OPTIONS',
      headers: { origin: 'https://wiki.example.org', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://wiki.example.org');
    assert.match(res.headers.get('access-control-allow-headers'), /Authorization/i);
  });
});
