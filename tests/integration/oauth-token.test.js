// The token endpoint over HTTPS against the real server: the three grants,
// client authentication, the tokens' exact contents, code and refresh
// token replay, concurrent redemption, errors and CORS.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { Agent, addMember, orgoctl } from '../helpers/http.js';
import {
  addApp, atHash, authorize, basicAuth, decodeJwt, memberSubject, pkcePair, redeemCode, refresh, signingKeys, tokenRequest,
  userinfo, verifyRs256,
} from '../helpers/oauth.js';

const WIKI_CB = 'https://wiki.example.org/cb';
const SPA_CB = 'https://spa.example.org/callback';
const ACCESS_TOKEN_TTL = 600;

let server;
let alice;
let aliceSubject;
let agent;
let wiki;
let spa;
let other;
let publicKey;
let kid;

before(async () => {
  server = await startServer();
  alice = addMember(server, { email: 'alice@example.org', name: 'Alice Example', groups: ['Board'], roles: ['MEMBER'] });
  aliceSubject = memberSubject(server, alice.email);
  wiki = addApp(server, { name: 'Wiki', redirectUris: [WIKI_CB], scopes: ['profile', 'email', 'groups', 'roles'] });
  spa = addApp(server, { name: 'Single Page', redirectUris: [SPA_CB], scopes: ['profile', 'email'], isPublic: true });
  other = addApp(server, { name: 'Other', redirectUris: ['https://other.example.org/cb'], scopes: ['profile'] });
  [{ kid, public_pem: publicKey }] = await signingKeys(server);

  // Alice signs in once and consents to every app, so later requests get
  // their codes at once.
  agent = new Agent(server.url);
  await authorize(agent, wikiParams({ scope: 'openid profile email groups roles offline_access' }), { member: alice });
  await authorize(agent, spaParams(pkcePair().challenge, { scope: 'openid profile email' }));
  await authorize(agent, { client_id: other.client_id, redirect_uri: 'https://other.example.org/cb', response_type: 'code', scope: 'openid' });
});
after(async () => server?.stop());

function wikiParams(extra = {}) {
  return { client_id: wiki.client_id, redirect_uri: WIKI_CB, response_type: 'code', scope: 'openid profile email', ...extra };
}

function spaParams(challenge, extra = {}) {
  return {
    client_id: spa.client_id, redirect_uri: SPA_CB, response_type: 'code', scope: 'openid profile',
    code_challenge: challenge, code_challenge_method: 'S256', ...extra,
  };
}

async function wikiCode(extra = {}) {
  const result = await authorize(agent, wikiParams(extra));
  assert.ok(result.code, `a code for ${JSON.stringify(extra)}`);
  return result.code;
}

async function spaCode(extra = {}) {
  const pkce = pkcePair();
  const result = await authorize(agent, spaParams(pkce.challenge, extra));
  assert.ok(result.code);
  return { code: result.code, verifier: pkce.verifier };
}

// Redeems a fresh wiki code and returns the token response body.
async function wikiTokens(extra = {}) {
  const res = await redeemCode(server, wiki, await wikiCode(extra), { redirectUri: WIKI_CB });
  assert.equal(res.status, 200, res.text_);
  return res.json;
}

function assertTokenError(res, status, error) {
  assert.equal(res.status, status, res.text_);
  assert.equal(res.json?.error, error, res.text_);
  assert.equal(typeof res.json.error_description, 'string');
  assert.match(res.headers.get('content-type'), /^application\/json/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
}

async function storedCounts() {
  const res = await server.query(`SELECT (SELECT count(*) FROM grants)::int AS grants,
    (SELECT count(*) FROM refresh_tokens)::int AS refresh_tokens`);
  return res.rows[0];
}

// Checks an access token's header, signature and claims. Returns the claims.
function assertAccessToken(token, { sub, clientId, scope, member = true }) {
  const { header, payload } = decodeJwt(token);
  assert.deepEqual(header, { alg: 'RS256', typ: 'at+jwt', kid });
  assert.ok(verifyRs256(token, publicKey), 'signed by the server key');

  const names = ['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub'];
  if (member) names.push('auth_time', 'gid');
  assert.deepEqual(Object.keys(payload).sort(), names.sort());
  assert.equal(payload.iss, server.url);
  assert.equal(payload.aud, server.url);
  assert.equal(payload.sub, sub);
  assert.equal(payload.client_id, clientId);
  assert.equal(payload.scope, scope);
  assert.equal(payload.exp - payload.iat, ACCESS_TOKEN_TTL);
  assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 30, 'iat is now');
  assert.match(payload.jti, /^[A-Za-z0-9_-]{43}$/);
  if (member) {
    assert.match(payload.gid, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(typeof payload.auth_time, 'number');
  }
  return payload;
}

describe('authorization_code grant', () => {
  test('confidential app with Basic', async () => {
    const code = await wikiCode({ scope: 'openid profile email', nonce: 'n-0S6_WzA2Mj' });
    const res = await redeemCode(server, wiki, code, { redirectUri: WIKI_CB });
    assert.equal(res.status, 200, res.text_);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('pragma'), 'no-cache');
    assert.match(res.headers.get('content-type'), /^application\/json/);

    const body = res.json;
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'id_token', 'refresh_token', 'scope', 'token_type']);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, ACCESS_TOKEN_TTL);
    assert.equal(body.scope, 'openid profile email');
    assert.match(body.refresh_token, /^[A-Za-z0-9_-]{43}$/);

    const access = assertAccessToken(body.access_token, { sub: aliceSubject, clientId: wiki.client_id, scope: 'openid profile email' });
    const grant = await server.query('SELECT g.grant_key, extract(epoch FROM g.auth_time)::bigint AS auth_time FROM grants g'
      + ' JOIN authorization_codes a ON a.grant_id = g.id WHERE a.code_hash = encode(sha256($1::bytea), \'hex\')', [code]);
    assert.equal(access.gid, grant.rows[0].grant_key, 'gid names the grant');
    assert.equal(access.auth_time, Number(grant.rows[0].auth_time));

    const { header, payload } = decodeJwt(body.id_token);
    assert.deepEqual(header, { alg: 'RS256', typ: 'JWT', kid });
    assert.ok(verifyRs256(body.id_token, publicKey), 'ID token signed by the server key');
    assert.deepEqual(Object.keys(payload).sort(), ['at_hash', 'aud', 'auth_time', 'azp', 'exp', 'iat', 'iss', 'nonce', 'sub']);
    assert.equal(payload.iss, server.url);
    assert.equal(payload.sub, aliceSubject);
    assert.equal(payload.aud, wiki.client_id);
    assert.equal(payload.azp, wiki.client_id);
    assert.equal(payload.nonce, 'n-0S6_WzA2Mj');
    assert.equal(payload.at_hash, atHash(body.access_token));
    assert.equal(payload.auth_time, access.auth_time);
    assert.ok(payload.exp > payload.iat);
    assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 30);
  });

  test('public app with PKCE', async () => {
    const { code, verifier } = await spaCode({ scope: 'openid profile' });
    const res = await tokenRequest(server, {
      grant_type: 'authorization_code', code, redirect_uri: SPA_CB, code_verifier: verifier, client_id: spa.client_id,
    });
    assert.equal(res.status, 200, res.text_);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = res.json;
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'id_token', 'refresh_token', 'scope', 'token_type']);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, ACCESS_TOKEN_TTL);
    assert.equal(body.scope, 'openid profile');
    assertAccessToken(body.access_token, { sub: aliceSubject, clientId: spa.client_id, scope: 'openid profile' });
    const { payload } = decodeJwt(body.id_token);
    assert.equal(payload.aud, spa.client_id);
    assert.equal(payload.azp, spa.client_id);
    assert.equal(payload.nonce, undefined, 'no nonce when none was sent');
    assert.equal(payload.at_hash, atHash(body.access_token));
  });

  test('no ID token without openid', async () => {
    const body = await wikiTokens({ scope: 'profile' });
    assert.equal(body.id_token, undefined);
    assert.equal(body.scope, 'profile');
    assertAccessToken(body.access_token, { sub: aliceSubject, clientId: wiki.client_id, scope: 'profile' });
  });

  test('access token works at userinfo', async () => {
    const body = await wikiTokens({ scope: 'openid email' });
    const res = await userinfo(server, body.access_token);
    assert.equal(res.status, 200, res.text_);
    assert.deepEqual(res.json, { sub: aliceSubject, email: alice.email, email_verified: true });
  });

  test('client_secret_post', async () => {
    const code = await wikiCode();
    const res = await tokenRequest(server, {
      grant_type: 'authorization_code', code, redirect_uri: WIKI_CB, client_id: wiki.client_id, client_secret: wiki.client_secret,
    });
    assert.equal(res.status, 200, res.text_);
    assert.equal(res.json.token_type, 'Bearer');
  });

  test('Basic with percent-encoded id and secret', async () => {
    const code = await wikiCode();
    const encodeAll = (s) => [...Buffer.from(s)].map((b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join('');
    const res = await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: WIKI_CB }, {
      headers: { authorization: basicAuth(wiki.client_id, wiki.client_secret, encodeAll) },
    });
    assert.equal(res.status, 200, res.text_);
  });

  test('Basic with client_id also in the body', async () => {
    const code = await wikiCode();
    const res = await tokenRequest(server, {
      grant_type: 'authorization_code', code, redirect_uri: WIKI_CB, client_id: wiki.client_id,
    }, { basic: [wiki.client_id, wiki.client_secret] });
    assert.equal(res.status, 200, res.text_);
  });

  test('redirect_uri omitted in both requests', async () => {
    const result = await authorize(agent, { client_id: wiki.client_id, response_type: 'code', scope: 'openid' });
    const without = await redeemCode(server, wiki, result.code);
    assert.equal(without.status, 200, without.text_);
  });
});

describe('client authentication', () => {
  test('wrong secret with Basic', async () => {
    const before = await storedCounts();
    const code = await wikiCode();
    const res = await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: WIKI_CB },
      { basic: [wiki.client_id, 'not-the-secret'] });
    assertTokenError(res, 401, 'invalid_client');
    assert.match(res.headers.get('www-authenticate'), /^Basic realm="orgo"/);
    assert.deepEqual(await storedCounts(), before, 'nothing stored');

    const retry = await redeemCode(server, wiki, code, { redirectUri: WIKI_CB });
    assert.equal(retry.status, 200, 'the code was not used up by the failed attempt');
  });

  test('wrong secret in the body', async () => {
    const res = await tokenRequest(server, {
      grant_type: 'authorization_code', code: 'x', client_id: wiki.client_id, client_secret: 'not-the-secret',
    });
    assertTokenError(res, 401, 'invalid_client');
    assert.equal(res.headers.get('www-authenticate'), null, 'no Basic challenge when Basic was not used');
  });

  test('unknown client with Basic', async () => {
    const res = await tokenRequest(server, { grant_type: 'authorization_code', code: 'x' }, { basic: ['no-such-client', 'secret'] });
    assertTokenError(res, 401, 'invalid_client');
    assert.match(res.headers.get('www-authenticate'), /^Basic realm="orgo"/);
  });

  test('unknown client in the body', async () => {
    const res = await tokenRequest(server, { grant_type: 'authorization_code', code: 'x', client_id: 'no-such-client' });
    assertTokenError(res, 401, 'invalid_client');
  });

  test('no client authentication', async () => {
    const res = await tokenRequest(server, { grant_type: 'authorization_code', code: 'x' });
    assertTokenError(res, 401, 'invalid_client');
  });

  test('confidential app without a secret', async () => {
    const res = await tokenRequest(server, { grant_type: 'authorization_code', code: 'x', client_id: wiki.client_id });
    assertTokenError(res, 401, 'invalid_client');
  });

  test('Basic and body secret together', async () => {
    const res = await tokenRequest(server, {
      grant_type: 'authorization_code', code: 'x', client_secret: wiki.client_secret,
    }, { basic: [wiki.client_id, wiki.client_secret] });
    assertTokenError(res, 400, 'invalid_request');
  });

  test('Basic and another body client_id', async () => {
    const res = await tokenRequest(server, {
      grant_type: 'authorization_code', code: 'x', client_id: other.client_id,
    }, { basic: [wiki.client_id, wiki.client_secret] });
    assertTokenError(res, 400, 'invalid_request');
  });

  test('malformed Basic header', async () => {
    const res = await tokenRequest(server, { grant_type: 'authorization_code', code: 'x' },
      { headers: { authorization: 'Basic not base64!' } });
    assertTokenError(res, 401, 'invalid_client');
  });

  test('public app sending a secret', async () => {
    const { code, verifier } = await spaCode();
    const res = await tokenRequest(server, {
      grant_type: 'authorization_code', code, redirect_uri: SPA_CB, code_verifier: verifier,
      client_id: spa.client_id, client_secret: 'anything',
    });
    assertTokenError(res, 401, 'invalid_client');

    const basic = await tokenRequest(server, {
      grant_type: 'authorization_code', code, redirect_uri: SPA_CB, code_verifier: verifier,
    }, { basic: [spa.client_id, 'anything'] });
    assertTokenError(basic, 401, 'invalid_client');
  });

  test('rotated secret stops working', async () => {
    const app = addApp(server, { name: 'Rotating', redirectUris: ['https://rotating.example.org/cb'], scopes: ['profile'] });
    const rotated = JSON.parse(orgoctl(server, ['app', 'rotate-secret', app.client_id, '--json']));
    const old = await tokenRequest(server, { grant_type: 'client_credentials' }, { basic: [app.client_id, app.client_secret] });
    assertTokenError(old, 401, 'invalid_client');
    const fresh = await tokenRequest(server, { grant_type: 'client_credentials' }, { basic: [app.client_id, rotated.client_secret] });
    assert.equal(fresh.status, 200, fresh.text_);
  });
});

describe('code redemption errors', () => {
  test('code replay revokes the first tokens', async () => {
    const code = await wikiCode({ scope: 'openid profile' });
    const first = await redeemCode(server, wiki, code, { redirectUri: WIKI_CB });
    assert.equal(first.status, 200, first.text_);
    assert.equal((await userinfo(server, first.json.access_token)).status, 200, 'the tokens work before the replay');

    const replay = await redeemCode(server, wiki, code, { redirectUri: WIKI_CB });
    assertTokenError(replay, 400, 'invalid_grant');

    const info = await userinfo(server, first.json.access_token);
    assert.equal(info.status, 401, 'access token from the first redemption is revoked');
    const refreshed = await refresh(server, wiki, first.json.refresh_token);
    assertTokenError(refreshed, 400, 'invalid_grant');
    const audit = await server.query("SELECT count(*)::int AS n FROM audit_log WHERE action = 'code_replayed'");
    assert.ok(audit.rows[0].n >= 1, 'the replay is audited');
  });

  test('wrong redirect_uri', async () => {
    const code = await wikiCode();
    const res = await redeemCode(server, wiki, code, { redirectUri: 'https://wiki.example.org/other' });
    assertTokenError(res, 400, 'invalid_grant');
  });

  test('redirect_uri missing when given', async () => {
    const code = await wikiCode();
    const res = await redeemCode(server, wiki, code);
    assertTokenError(res, 400, 'invalid_grant');
  });

  test('missing code_verifier', async () => {
    const { code } = await spaCode();
    const res = await redeemCode(server, spa, code, { redirectUri: SPA_CB });
    assertTokenError(res, 400, 'invalid_grant');
  });

  test('wrong code_verifier', async () => {
    const { code } = await spaCode();
    const res = await redeemCode(server, spa, code, { redirectUri: SPA_CB, verifier: pkcePair().verifier });
    assertTokenError(res, 400, 'invalid_grant');
  });

  test('malformed code_verifier', async () => {
    const { code } = await spaCode();
    const res = await redeemCode(server, spa, code, { redirectUri: SPA_CB, verifier: 'short' });
    assertTokenError(res, 400, 'invalid_request');
  });

  test('verifier without a challenge', async () => {
    const code = await wikiCode();
    const res = await redeemCode(server, wiki, code, { redirectUri: WIKI_CB, verifier: pkcePair().verifier });
    assertTokenError(res, 400, 'invalid_grant');
  });

  test('code from another client', async () => {
    const code = await wikiCode();
    const res = await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: WIKI_CB },
      { basic: [other.client_id, other.client_secret] });
    assertTokenError(res, 400, 'invalid_grant');
    const own = await redeemCode(server, wiki, code, { redirectUri: WIKI_CB });
    assert.equal(own.status, 200, 'the code still works for its own client');
  });

  test('expired code', async () => {
    const code = await wikiCode();
    await server.query("UPDATE authorization_codes SET expires_at = now() - interval '1 second' WHERE code_hash = encode(sha256($1::bytea), 'hex')",
      [code]);
    const res = await redeemCode(server, wiki, code, { redirectUri: WIKI_CB });
    assertTokenError(res, 400, 'invalid_grant');
  });

  test('unknown code', async () => {
    const res = await redeemCode(server, wiki, 'A'.repeat(43), { redirectUri: WIKI_CB });
    assertTokenError(res, 400, 'invalid_grant');
  });

  test('missing code', async () => {
    const res = await tokenRequest(server, { grant_type: 'authorization_code', redirect_uri: WIKI_CB },
      { basic: [wiki.client_id, wiki.client_secret] });
    assertTokenError(res, 400, 'invalid_request');
  });

  test('disabled member', async () => {
    const carol = addMember(server, { email: 'carol@example.org', name: 'Carol' });
    const carolAgent = new Agent(server.url);
    const result = await authorize(carolAgent, wikiParams(), { member: carol });
    orgoctl(server, ['member', 'disable', '--email', carol.email]);
    const res = await redeemCode(server, wiki, result.code, { redirectUri: WIKI_CB });
    assertTokenError(res, 400, 'invalid_grant');
  });

  for (const count of [2, 5]) {
    test(`${count} concurrent redemptions, one wins`, async () => {
      const code = await wikiCode();
      const results = await Promise.all(Array.from({ length: count },
        () => redeemCode(server, wiki, code, { redirectUri: WIKI_CB })));
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, ...Array(count - 1).fill(400)], results.map((r) => r.text_).join('\n'));
      for (const r of results.filter((x) => x.status === 400)) assert.equal(r.json.error, 'invalid_grant');
      const grants = await server.query("SELECT count(*)::int AS n FROM authorization_codes WHERE code_hash = encode(sha256($1::bytea), 'hex')"
        + ' AND grant_id IS NOT NULL', [code]);
      assert.equal(grants.rows[0].n, 1);
    });
  }
});

describe('refresh_token grant', () => {
  test('rotation issues new tokens', async () => {
    const first = await wikiTokens({ scope: 'openid profile email', nonce: 'keep-me' });
    const res = await refresh(server, wiki, first.refresh_token);
    assert.equal(res.status, 200, res.text_);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = res.json;
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'id_token', 'refresh_token', 'scope', 'token_type']);
    assert.notEqual(body.refresh_token, first.refresh_token);
    assert.notEqual(body.access_token, first.access_token);
    assert.equal(body.scope, 'openid profile email');
    const before = decodeJwt(first.access_token).payload;
    const after = assertAccessToken(body.access_token, { sub: aliceSubject, clientId: wiki.client_id, scope: 'openid profile email' });
    assert.equal(after.gid, before.gid, 'same grant');
    assert.equal(after.auth_time, before.auth_time, 'same sign-in time');
    const id = decodeJwt(body.id_token).payload;
    assert.equal(id.nonce, 'keep-me');
    assert.equal(id.at_hash, atHash(body.access_token));
    assert.equal((await userinfo(server, body.access_token)).status, 200);
  });

  test('reuse revokes the whole grant', async () => {
    const first = await wikiTokens({ scope: 'openid profile' });
    const second = await refresh(server, wiki, first.refresh_token);
    assert.equal(second.status, 200, second.text_);
    const third = await refresh(server, wiki, second.json.refresh_token);
    assert.equal(third.status, 200, third.text_);

    const reuse = await refresh(server, wiki, first.refresh_token);
    assertTokenError(reuse, 400, 'invalid_grant');

    const newest = await refresh(server, wiki, third.json.refresh_token);
    assertTokenError(newest, 400, 'invalid_grant');
    for (const token of [first.access_token, second.json.access_token, third.json.access_token]) {
      const info = await userinfo(server, token);
      assert.equal(info.status, 401, 'access tokens of the grant are revoked');
    }

    const gid = decodeJwt(first.access_token).payload.gid;
    const grant = await server.query('SELECT id, revoked_at IS NOT NULL AS revoked, revoked_reason FROM grants WHERE grant_key = $1', [gid]);
    assert.equal(grant.rows[0].revoked, true);
    assert.equal(grant.rows[0].revoked_reason, 'refresh token reused');
    const audit = await server.query("SELECT details FROM audit_log WHERE action = 'refresh_token_reused' AND (details->>'grant_id')::bigint = $1",
      [grant.rows[0].id]);
    assert.equal(audit.rowCount, 1);
    assert.equal(audit.rows[0].details.client, wiki.client_id);
  });

  test('other grants stay valid', async () => {
    const kept = await wikiTokens();
    const revoked = await wikiTokens();
    await refresh(server, wiki, revoked.refresh_token);
    await refresh(server, wiki, revoked.refresh_token);
    assert.equal((await userinfo(server, kept.access_token)).status, 200);
    assert.equal((await refresh(server, wiki, kept.refresh_token)).status, 200);
  });

  test('scope narrowing', async () => {
    const first = await wikiTokens({ scope: 'openid profile email' });
    const narrowed = await refresh(server, wiki, first.refresh_token, { scope: 'openid email' });
    assert.equal(narrowed.status, 200, narrowed.text_);
    assert.equal(narrowed.json.scope, 'openid email');
    assertAccessToken(narrowed.json.access_token, { sub: aliceSubject, clientId: wiki.client_id, scope: 'openid email' });

    const info = await userinfo(server, narrowed.json.access_token);
    assert.deepEqual(Object.keys(info.json).sort(), ['email', 'email_verified', 'sub']);

    const next = await refresh(server, wiki, narrowed.json.refresh_token);
    assert.equal(next.status, 200, next.text_);
    assert.equal(next.json.scope, 'openid email', 'the narrowed scope stays');

    const widen = await refresh(server, wiki, next.json.refresh_token, { scope: 'openid profile email' });
    assertTokenError(widen, 400, 'invalid_scope');
  });

  test('scope widening', async () => {
    const first = await wikiTokens({ scope: 'openid profile' });
    const before = await storedCounts();
    const widen = await refresh(server, wiki, first.refresh_token, { scope: 'openid profile groups' });
    assertTokenError(widen, 400, 'invalid_scope');
    const unknown = await refresh(server, wiki, first.refresh_token, { scope: 'openid admin' });
    assertTokenError(unknown, 400, 'invalid_scope');
    assert.deepEqual(await storedCounts(), before, 'nothing stored');
    const still = await refresh(server, wiki, first.refresh_token);
    assert.equal(still.status, 200, 'a rejected scope does not use the token up');
  });

  test('refresh token of another client', async () => {
    const first = await wikiTokens();
    const res = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: first.refresh_token },
      { basic: [other.client_id, other.client_secret] });
    assertTokenError(res, 400, 'invalid_grant');
    assert.equal((await refresh(server, wiki, first.refresh_token)).status, 200, 'the owner can still use it');
  });

  test('public app refresh', async () => {
    const { code, verifier } = await spaCode();
    const tokens = await redeemCode(server, spa, code, { redirectUri: SPA_CB, verifier });
    assert.equal(tokens.status, 200, tokens.text_);
    const res = await refresh(server, spa, tokens.json.refresh_token);
    assert.equal(res.status, 200, res.text_);
  });

  test('expired refresh token', async () => {
    const first = await wikiTokens();
    await server.query("UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = encode(sha256($1::bytea), 'hex')",
      [first.refresh_token]);
    assertTokenError(await refresh(server, wiki, first.refresh_token), 400, 'invalid_grant');
  });

  test('disabled member cannot refresh', async () => {
    const dan = addMember(server, { email: 'dan@example.org', name: 'Dan' });
    const result = await authorize(new Agent(server.url), wikiParams(), { member: dan });
    const tokens = await redeemCode(server, wiki, result.code, { redirectUri: WIKI_CB });
    assert.equal(tokens.status, 200, tokens.text_);
    orgoctl(server, ['member', 'disable', '--email', dan.email]);
    assertTokenError(await refresh(server, wiki, tokens.json.refresh_token), 400, 'invalid_grant');
  });

  test('unknown refresh token', async () => {
    assertTokenError(await refresh(server, wiki, 'A'.repeat(43)), 400, 'invalid_grant');
  });

  for (const count of [2, 5]) {
    test(`${count} concurrent refreshes, one wins`, async () => {
      const first = await wikiTokens();
      const results = await Promise.all(Array.from({ length: count }, () => refresh(server, wiki, first.refresh_token)));
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, ...Array(count - 1).fill(400)], results.map((r) => r.text_).join('\n'));
      for (const r of results.filter((x) => x.status === 400)) assert.equal(r.json.error, 'invalid_grant');
    });
  }
});

describe('client_credentials grant', () => {
  test('token for the app itself', async () => {
    const res = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'profile email' },
      { basic: [wiki.client_id, wiki.client_secret] });
    assert.equal(res.status, 200, res.text_);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(Object.keys(res.json).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(res.json.token_type, 'Bearer');
    assert.equal(res.json.expires_in, ACCESS_TOKEN_TTL);
    assert.equal(res.json.scope, 'profile email');
    assertAccessToken(res.json.access_token, { sub: wiki.client_id, clientId: wiki.client_id, scope: 'profile email', member: false });
    const info = await userinfo(server, res.json.access_token);
    assert.equal(info.status, 401, 'no member behind the token');
  });

  test('client_secret_post works', async () => {
    const res = await tokenRequest(server, { grant_type: 'client_credentials', client_id: wiki.client_id, client_secret: wiki.client_secret });
    assert.equal(res.status, 200, res.text_);
    assert.equal(res.json.refresh_token, undefined);
  });

  test('public app is unauthorized_client', async () => {
    const res = await tokenRequest(server, { grant_type: 'client_credentials', client_id: spa.client_id });
    assertTokenError(res, 400, 'unauthorized_client');
  });

  for (const scope of ['profile groups', 'openid', 'offline_access', 'admin']) {
    test(`scope ${scope} is invalid_scope`, async () => {
      const res = await tokenRequest(server, { grant_type: 'client_credentials', scope },
        { basic: [other.client_id, other.client_secret] });
      assertTokenError(res, 400, 'invalid_scope');
    });
  }
});

describe('request errors', () => {
  test('unsupported grant_type', async () => {
    const res = await tokenRequest(server, { grant_type: 'password', username: 'a', password: 'b' },
      { basic: [wiki.client_id, wiki.client_secret] });
    assertTokenError(res, 400, 'unsupported_grant_type');
  });

  test('missing grant_type', async () => {
    const res = await tokenRequest(server, { code: 'x' }, { basic: [wiki.client_id, wiki.client_secret] });
    assertTokenError(res, 400, 'invalid_request');
  });

  test('grant_type given twice', async () => {
    const res = await tokenRequest(server, null, {
      basic: [wiki.client_id, wiki.client_secret], body: 'grant_type=client_credentials&grant_type=client_credentials',
    });
    assertTokenError(res, 400, 'invalid_request');
  });

  test('JSON body is rejected', async () => {
    const res = await tokenRequest(server, null, {
      basic: [wiki.client_id, wiki.client_secret], contentType: 'application/json', body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    assertTokenError(res, 400, 'invalid_request');
  });

  test('GET is not allowed', async () => {
    const res = await fetch(`${server.url}/oauth/token?grant_type=client_credentials`);
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'POST, OPTIONS');
  });

  test('bad requests store nothing', async () => {
    const before = await storedCounts();
    const code = await wikiCode();
    const first = await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: WIKI_CB },
      { basic: [wiki.client_id, 'wrong'] });
    assert.equal(first.status, 401);
    const attempts = [
      () => redeemCode(server, wiki, code, { redirectUri: 'https://wiki.example.org/x' }),
      () => redeemCode(server, wiki, code, { redirectUri: WIKI_CB, verifier: pkcePair().verifier }),
      () => tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: WIKI_CB },
        { basic: [other.client_id, other.client_secret] }),
      () => tokenRequest(server, { grant_type: 'password' }, { basic: [wiki.client_id, wiki.client_secret] }),
      () => tokenRequest(server, { grant_type: 'authorization_code', code, client_id: spa.client_id }),
    ];
    for (const attempt of attempts) {
      const res = await attempt();
      assert.ok(res.status >= 400, res.text_);
    }
    assert.deepEqual(await storedCounts(), before, 'no grant or refresh token stored');
  });
});

describe('CORS', () => {
  const ORIGIN = 'https://spa.example.org';

  test('registered origin on success', async () => {
    const { code, verifier } = await spaCode();
    const res = await redeemCode(server, spa, code, { redirectUri: SPA_CB, verifier, origin: ORIGIN });
    assert.equal(res.status, 200, res.text_);
    assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
    assert.match(res.headers.get('vary') ?? '', /Origin/);
  });

  test('registered origin on a grant error', async () => {
    const res = await redeemCode(server, spa, 'A'.repeat(43), { redirectUri: SPA_CB, verifier: pkcePair().verifier, origin: ORIGIN });
    assertTokenError(res, 400, 'invalid_grant');
    assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
  });

  test('other origin gets no header', async () => {
    const { code, verifier } = await spaCode();
    const res = await redeemCode(server, spa, code, { redirectUri: SPA_CB, verifier, origin: 'https://evil.example' });
    assert.equal(res.status, 200, res.text_);
    assert.equal(res.headers.get('access-control-allow-origin'), null);
  });

  test('origin of another app gets no header', async () => {
    const { code, verifier } = await spaCode();
    const res = await redeemCode(server, spa, code, { redirectUri: SPA_CB, verifier, origin: 'https://wiki.example.org' });
    assert.equal(res.status, 200, res.text_);
    assert.equal(res.headers.get('access-control-allow-origin'), null);
  });

  test('preflight for a registered origin', async () => {
    const res = await fetch(`${server.url}/oauth/token`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
    assert.match(res.headers.get('access-control-allow-methods'), /\bPOST\b/);
    assert.match(res.headers.get('access-control-allow-headers'), /Authorization/i);
    assert.match(res.headers.get('access-control-allow-headers'), /Content-Type/i);
  });

  for (const origin of ['https://evil.example', 'https://spa.example.org.evil.example', 'https://spa.example', 'null']) {
    test(`preflight for ${origin}`, async () => {
      const res = await fetch(`${server.url}/oauth/token`, {
        method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' },
      });
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
      assert.equal(res.headers.get('access-control-allow-methods'), null);
    });
  }
});

describe('settings', () => {
  test('ORGO_ACCESS_TOKEN_TTL sets the lifetime', async () => {
    const short = await startServer({ env: { ORGO_ACCESS_TOKEN_TTL: '60' } });
    try {
      const app = JSON.parse(orgoctl(short, ['app', 'add', '--name', 'Short', '--redirect-uri', 'https://short.example.org/cb',
        '--scope', 'profile', '--json']));
      const res = await tokenRequest(short, { grant_type: 'client_credentials' }, { basic: [app.client_id, app.client_secret] });
      assert.equal(res.status, 200, res.text_);
      assert.equal(res.json.expires_in, 60);
      const { payload } = decodeJwt(res.json.access_token);
      assert.equal(payload.exp - payload.iat, 60);
    } finally {
      await short.stop();
    }
  });
});
