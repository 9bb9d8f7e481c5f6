// Discovery over HTTPS against the real server: both metadata documents,
// that every endpoint they name exists and responds as documented, and the
// JWKS. Tokens from a real authorization code flow must verify with jose
// against the published keys.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import * as jose from 'jose';
import * as oauth from 'oauth4webapi';
import { startServer } from '../helpers/server.js';
import { Agent, addMember } from '../helpers/http.js';
import { addApp, authorize, memberSubject, redeemCode } from '../helpers/oauth.js';

const WIKI_CB = 'https://wiki.example.org/cb';
const DOCUMENTS = ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'];
const ENDPOINTS = {
  authorization_endpoint: '/oauth/authorize',
  token_endpoint: '/oauth/token',
  userinfo_endpoint: '/oauth/userinfo',
  jwks_uri: '/oauth/jwks',
  revocation_endpoint: '/oauth/revoke',
  introspection_endpoint: '/oauth/introspect',
  end_session_endpoint: '/oauth/logout',
  device_authorization_endpoint: '/oauth/device_authorization',
  service_documentation: '/oauth/docs',
};
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

let server;
let alice;
let aliceSubject;
let wiki;
let metadata;

before(async () => {
  server = await startServer();
  alice = addMember(server, { email: 'alice@example.org', name: 'Alice Example' });
  aliceSubject = memberSubject(server, alice.email);
  wiki = addApp(server, { name: 'Wiki', redirectUris: [WIKI_CB], scopes: ['profile', 'email'] });
  metadata = await (await fetch(server.url + DOCUMENTS[0])).json();
});
after(async () => server?.stop());

async function fetchText(url, init) {
  const res = await fetch(url, { redirect: 'manual', ...init });
  res.text_ = await res.text();
  return res;
}

function parseJson(res) {
  try {
    return JSON.parse(res.text_);
  } catch {
    assert.fail(`expected a JSON body, got: ${res.text_.slice(0, 300)}`);
  }
}

// Runs the authorization code flow for Alice and returns the token response.
async function wikiTokens(nonce) {
  const agent = new Agent(server.url);
  const result = await authorize(agent, {
    response_type: 'code', client_id: wiki.client_id, redirect_uri: WIKI_CB,
    scope: 'openid profile', state: 'st-' + nonce, nonce,
  }, { member: alice });
  assert.ok(result.code, 'the flow returns a code');
  assert.equal(result.state, 'st-' + nonce);
  assert.equal(result.iss, server.url);
  const res = await redeemCode(server, wiki, result.code, { redirectUri: WIKI_CB });
  assert.equal(res.status, 200, res.text_);
  return res.json;
}

test('discovery documents served as JSON', async () => {
  for (const path of DOCUMENTS) {
    const res = await fetchText(server.url + path);
    assert.equal(res.status, 200, `${path}: ${res.text_}`);
    assert.match(res.headers.get('content-type'), /^application\/json/, path);
    assert.match(res.headers.get('cache-control') ?? '', /max-age=\d+/, path);
    assert.equal(res.headers.get('access-control-allow-origin'), '*', path);
    const doc = parseJson(res);
    assert.equal(doc.issuer, server.url, `${path}: issuer`);
  }
});

test('both documents have the same content', async () => {
  const [oidc, rfc8414] = await Promise.all(DOCUMENTS.map(async (p) => (await fetch(server.url + p)).json()));
  assert.deepEqual(rfc8414, oidc);
});

test('endpoint URLs are on the issuer', () => {
  for (const [key, path] of Object.entries(ENDPOINTS)) {
    assert.equal(metadata[key], server.url + path, key);
  }
});

test('oauth4webapi accepts both documents', async () => {
  const issuer = new URL(server.url);
  for (const algorithm of ['oidc', 'oauth2']) {
    const response = await oauth.discoveryRequest(issuer, { algorithm });
    const as = await oauth.processDiscoveryResponse(issuer, response);
    assert.equal(as.issuer, server.url, algorithm);
  }
});

test('supported values are exact', () => {
  assert.deepEqual(metadata.scopes_supported, ['openid', 'profile', 'email', 'groups', 'roles', 'offline_access']);
  assert.deepEqual(metadata.response_types_supported, ['code']);
  assert.deepEqual(metadata.response_modes_supported, ['query']);
  assert.deepEqual(metadata.grant_types_supported, ['authorization_code', 'refresh_token', 'client_credentials',
    'urn:ietf:params:oauth:grant-type:device_code']);
  assert.deepEqual(metadata.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'none']);
  assert.deepEqual(metadata.revocation_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'none']);
  assert.deepEqual(metadata.introspection_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post']);
  assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
  assert.deepEqual(metadata.id_token_signing_alg_values_supported, ['RS256']);
  assert.deepEqual(metadata.subject_types_supported, ['public']);
  assert.equal(metadata.authorization_response_iss_parameter_supported, true);
  assert.deepEqual(metadata.claims_supported.toSorted(), [
    'at_hash', 'aud', 'auth_time', 'azp', 'email', 'email_verified', 'exp', 'groups', 'iat', 'iss', 'name',
    'nonce', 'picture', 'roles', 'sub', 'updated_at',
  ]);
});

test('jwks_uri returns the key set', async () => {
  const res = await fetchText(metadata.jwks_uri);
  assert.equal(res.status, 200, res.text_);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  assert.ok(Array.isArray(parseJson(res).keys), 'the body has a keys array');
});

test('userinfo without a token is 401', async () => {
  const res = await fetchText(metadata.userinfo_endpoint);
  assert.equal(res.status, 401, res.text_);
  assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /);
});

test('token endpoint rejects GET with 405', async () => {
  const res = await fetchText(metadata.token_endpoint);
  assert.equal(res.status, 405, res.text_);
  assert.match(res.headers.get('allow') ?? '', /\bPOST\b/);
  assert.equal(parseJson(res).error, 'invalid_request');
});

test('client endpoints need client authentication', async () => {
  for (const key of ['revocation_endpoint', 'introspection_endpoint', 'device_authorization_endpoint']) {
    const res = await fetchText(metadata[key], {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: 'some-token' }).toString(),
    });
    assert.equal(res.status, 401, `${key}: ${res.text_}`);
    assert.match(res.headers.get('content-type'), /^application\/json/, key);
    assert.equal(parseJson(res).error, 'invalid_client', key);
  }
});

test('end_session_endpoint shows a page', async () => {
  const res = await fetchText(metadata.end_session_endpoint);
  assert.equal(res.status, 200, res.text_);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  assert.match(res.text_, /You are signed out/);
});

test('service_documentation is a page', async () => {
  const res = await fetchText(metadata.service_documentation);
  assert.equal(res.status, 200, res.text_);
  assert.match(res.headers.get('content-type'), /^text\/html/);
});

test('authorize without parameters is 400', async () => {
  const res = await fetchText(metadata.authorization_endpoint);
  assert.equal(res.status, 400, res.text_);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  assert.equal(res.headers.get('location'), null);
});

test('JWKS holds public RSA keys only', async () => {
  const res = await fetchText(metadata.jwks_uri);
  const { keys } = parseJson(res);
  assert.ok(keys.length >= 1, 'at least one key is published');
  const kids = new Set();
  for (const jwk of keys) {
    assert.equal(jwk.kty, 'RSA');
    assert.equal(typeof jwk.kid, 'string');
    assert.ok(jwk.kid.length > 0, 'kid is not empty');
    assert.ok(!kids.has(jwk.kid), `kid ${jwk.kid} is unique`);
    kids.add(jwk.kid);
    assert.equal(jwk.use, 'sig');
    assert.equal(jwk.alg, 'RS256');
    assert.match(jwk.n, /^[A-Za-z0-9_-]+$/);
    assert.equal(jwk.e, 'AQAB');
    for (const member of PRIVATE_JWK_MEMBERS) {
      assert.ok(!(member in jwk), `JWK ${jwk.kid} has no private member "${member}"`);
    }
    assert.equal(jwk.kid, await jose.calculateJwkThumbprint(jwk, 'sha256'), 'kid is the RFC 7638 thumbprint');
    const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
    assert.ok(key.asymmetricKeyDetails.modulusLength >= 2048, 'RSA modulus of at least 2048 bits');
  }
});

test('JWKS Cache-Control has max-age', async () => {
  const res = await fetchText(metadata.jwks_uri);
  const cacheControl = res.headers.get('cache-control') ?? '';
  const maxAge = /max-age=(\d+)/.exec(cacheControl);
  assert.ok(maxAge, `Cache-Control "${cacheControl}" has max-age`);
  assert.ok(Number(maxAge[1]) > 0, 'max-age is positive');
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
});

test('ID token verifies with remote JWKS', async () => {
  const nonce = crypto.randomBytes(12).toString('base64url');
  const tokens = await wikiTokens(nonce);
  const jwks = jose.createRemoteJWKSet(new URL(metadata.jwks_uri));

  const { payload, protectedHeader } = await jose.jwtVerify(tokens.id_token, jwks, {
    issuer: server.url, audience: wiki.client_id, algorithms: ['RS256'],
  });
  assert.equal(protectedHeader.alg, 'RS256');
  assert.equal(typeof protectedHeader.kid, 'string');
  assert.equal(payload.sub, aliceSubject);
  assert.equal(payload.azp, wiki.client_id);
  assert.equal(payload.nonce, nonce);
  assert.equal(typeof payload.auth_time, 'number');

  const digest = crypto.createHash('sha256').update(tokens.access_token).digest();
  assert.equal(payload.at_hash, digest.subarray(0, digest.length / 2).toString('base64url'));
});

test('access token verifies as at+jwt', async () => {
  const tokens = await wikiTokens(crypto.randomBytes(12).toString('base64url'));
  const jwks = jose.createRemoteJWKSet(new URL(metadata.jwks_uri));

  const { payload, protectedHeader } = await jose.jwtVerify(tokens.access_token, jwks, {
    issuer: server.url, audience: server.url, typ: 'at+jwt', algorithms: ['RS256'],
  });
  assert.equal(protectedHeader.typ, 'at+jwt');
  assert.equal(payload.sub, aliceSubject);
  assert.equal(payload.client_id, wiki.client_id);
  assert.equal(payload.scope, 'openid profile');
  assert.equal(typeof payload.jti, 'string');
  assert.equal(payload.exp - payload.iat, tokens.expires_in);

  // The typ check distinguishes an ID token from an access token.
  await assert.rejects(
    jose.jwtVerify(tokens.id_token, jwks, { issuer: server.url, audience: wiki.client_id, typ: 'at+jwt' }),
    { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' },
  );
});
