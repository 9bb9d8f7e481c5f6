// Interop with openid-client 6 as a confidential relying party. Covers
// discovery, the authorization code flow with PKCE (sign-in and consent
// driven over HTTP), ID token validation including its signature, and
// userinfo per scope. Also refresh token rotation, revocation,
// introspection, client_credentials and RP-initiated logout. Every claim
// set is compared exactly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import * as jose from 'jose';
import { startServer } from '../helpers/server.js';
import { Agent, addMember, orgoctl } from '../helpers/http.js';
import { answerConsent, atHash, decodeJwt, locationUrl } from '../helpers/oauth.js';

// The callback URIs are only parsed from Location headers, never fetched.
const WIKI_CALLBACK = 'https://wiki.example.org/oidc/callback';
const WIKI_SIGNED_OUT = 'https://wiki.example.org/signed-out';
const ACCESS_TOKEN_TTL = 600;
// Seconds for each HTTP request that openid-client makes.
const LIBRARY_TIMEOUT_S = 10;
// Upper bound for one test, covering the Agent's requests, which have no
// timeout of their own.
const TEST_TIMEOUT_MS = 60000;
const ALL_SCOPES = 'openid profile email groups roles';

let server;
let member;
let memberRow;
let wiki;
let config;
let agent;
let jwks;
// Tokens from the first sign-in, shared by the tests that follow it.
let firstTokens;

function addApp({ name, redirectUri, postLogoutUri, isPublic = false }) {
  const args = ['app', 'add', '--name', name, '--redirect-uri', redirectUri];
  if (postLogoutUri) args.push('--post-logout-redirect-uri', postLogoutUri);
  for (const scope of ['profile', 'email', 'groups', 'roles']) args.push('--scope', scope);
  if (isPublic) args.push('--public');
  args.push('--json');
  return JSON.parse(orgoctl(server, args));
}

function discover(clientAuth) {
  return client.discovery(new URL(server.url), wiki.client_id, undefined, clientAuth, {
    timeout: LIBRARY_TIMEOUT_S,
    execute: [client.enableNonRepudiationChecks],
  });
}

/*
 * Follows an authorization URL the way a browser would: signs in on the
 * sign-in page when sent there and submits the consent form when shown.
 * Returns the redirect back to the application as a URL and the steps
 * taken ('login', 'consent').
 */
async function followAuthorization(authorizationUrl, { decision = 'allow' } = {}) {
  const steps = [];
  let res = await agent.get(authorizationUrl.href);

  if (res.status === 303 && res.headers.get('location').startsWith('/login?')) {
    steps.push('login');
    const returnTo = locationUrl(res, server.url).searchParams.get('return_to');
    const login = await agent.signIn(member.email, member.password, returnTo);
    assert.equal(login.status, 303, `sign-in failed: ${login.text_.slice(0, 300)}`);
    res = await agent.get(login.headers.get('location'));
  }
  if (res.status === 200 && res.text_.includes('action="/oauth/authorize/consent"')) {
    steps.push('consent');
    res = await answerConsent(agent, res, decision);
  }

  assert.equal(res.status, 302, `authorization ended with ${res.status}: ${res.text_.slice(0, 300)}`);
  return { callbackUrl: locationUrl(res, server.url), steps };
}

// Runs the whole code flow for 'scope' and returns the library's result
// with the checks it used.
async function codeFlow(scope, { cfg = config } = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(cfg, {
    redirect_uri: WIKI_CALLBACK,
    scope,
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const { callbackUrl, steps } = await followAuthorization(url);
  const tokens = await client.authorizationCodeGrant(cfg, callbackUrl, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  return { tokens, steps, nonce, callbackUrl };
}

// The userinfo claims the server must return for each scope, nothing more.
function expectedUserinfo(scope) {
  const words = scope.split(' ');
  const claims = { sub: memberRow.subject };
  if (words.includes('profile')) {
    claims.name = 'Alice Liddell';
    claims.updated_at = memberRow.updated_at;
  }
  if (words.includes('email')) {
    claims.email = 'alice@example.org';
    claims.email_verified = true;
  }
  if (words.includes('groups')) claims.groups = ['Board', 'Editors'];
  if (words.includes('roles')) claims.roles = ['ADMIN_TENANT', 'MEMBER'];
  return claims;
}

async function verifyAccessToken(token) {
  return jose.jwtVerify(token, jwks, {
    issuer: server.url, audience: server.url, typ: 'at+jwt', algorithms: ['RS256'],
  });
}

before(async () => {
  server = await startServer();
  member = addMember(server, {
    email: 'alice@example.org', name: 'Alice Liddell', roles: ['ADMIN_TENANT'], groups: ['Editors', 'Board'],
  });
  memberRow = (await server.query(
    'SELECT subject, floor(extract(epoch FROM updated_at))::bigint AS updated_at FROM members WHERE email = $1',
    [member.email],
  )).rows[0];
  memberRow.updated_at = Number(memberRow.updated_at);
  wiki = addApp({ name: 'Internal Wiki', redirectUri: WIKI_CALLBACK, postLogoutUri: WIKI_SIGNED_OUT });
  config = await discover(client.ClientSecretBasic(wiki.client_secret));
  agent = new Agent(server.url);
  jwks = jose.createRemoteJWKSet(new URL('/oauth/jwks', server.url), { timeoutDuration: LIBRARY_TIMEOUT_S * 1000 });
});
after(async () => server?.stop());

test('discovery gives the server metadata', { timeout: TEST_TIMEOUT_MS }, () => {
  const metadata = config.serverMetadata();
  assert.equal(metadata.issuer, server.url);
  assert.equal(metadata.authorization_endpoint, `${server.url}/oauth/authorize`);
  assert.equal(metadata.token_endpoint, `${server.url}/oauth/token`);
  assert.equal(metadata.userinfo_endpoint, `${server.url}/oauth/userinfo`);
  assert.equal(metadata.jwks_uri, `${server.url}/oauth/jwks`);
  assert.equal(metadata.revocation_endpoint, `${server.url}/oauth/revoke`);
  assert.equal(metadata.introspection_endpoint, `${server.url}/oauth/introspect`);
  assert.equal(metadata.end_session_endpoint, `${server.url}/oauth/logout`);
  assert.equal(metadata.authorization_response_iss_parameter_supported, true);
  assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
  assert.deepEqual(metadata.id_token_signing_alg_values_supported, ['RS256']);
  assert.equal(config.serverMetadata().supportsPKCE(), true);
});

test('code flow with PKCE signs in a confidential app', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { tokens, steps, nonce, callbackUrl } = await codeFlow(ALL_SCOPES);
  firstTokens = tokens;

  assert.deepEqual(steps, ['login', 'consent']);
  assert.equal(callbackUrl.origin + callbackUrl.pathname, WIKI_CALLBACK);
  assert.equal(callbackUrl.searchParams.get('iss'), server.url);
  assert.equal(tokens.token_type, 'bearer');
  assert.equal(tokens.expires_in, ACCESS_TOKEN_TTL);
  assert.deepEqual(tokens.scope.split(' ').sort(), ALL_SCOPES.split(' ').sort());
  assert.equal(typeof tokens.refresh_token, 'string');

  // openid-client checked iss, aud, azp, exp, iat, nonce and, with
  // enableNonRepudiationChecks, the RS256 signature against the JWKS.
  const claims = tokens.claims();
  assert.deepEqual(Object.keys(claims).sort(),
    ['at_hash', 'aud', 'auth_time', 'azp', 'exp', 'iat', 'iss', 'nonce', 'sub']);
  assert.equal(claims.iss, server.url);
  assert.equal(claims.sub, memberRow.subject);
  assert.equal(claims.aud, wiki.client_id);
  assert.equal(claims.azp, wiki.client_id);
  assert.equal(claims.nonce, nonce);
  assert.equal(claims.at_hash, atHash(tokens.access_token));
  assert.equal(claims.exp - claims.iat, ACCESS_TOKEN_TTL);
  // NOTE: fails when the sign-in falls in the second half of a second,
  // because src/session.c rounds the session's auth_time to the nearest
  // second (a numeric-to-bigint cast) instead of flooring it.
  assert.ok(claims.auth_time <= claims.iat, `auth_time ${claims.auth_time} is after iat ${claims.iat}`);
  assert.deepEqual(decodeJwt(tokens.id_token).header.alg, 'RS256');
});

test('access token is an RFC 9068 JWT', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { payload, protectedHeader } = await verifyAccessToken(firstTokens.access_token);

  assert.equal(protectedHeader.typ, 'at+jwt');
  assert.equal(protectedHeader.alg, 'RS256');
  assert.deepEqual(Object.keys(payload).sort(),
    ['aud', 'auth_time', 'client_id', 'exp', 'gid', 'iat', 'iss', 'jti', 'scope', 'sub']);
  assert.equal(payload.sub, memberRow.subject);
  assert.equal(payload.client_id, wiki.client_id);
  assert.equal(payload.scope, firstTokens.scope);
  assert.equal(payload.exp - payload.iat, ACCESS_TOKEN_TTL);
  assert.equal(payload.auth_time, firstTokens.claims().auth_time);
});

test('userinfo returns every scope\'s claims', { timeout: TEST_TIMEOUT_MS }, async () => {
  const info = await client.fetchUserInfo(config, firstTokens.access_token, memberRow.subject);

  assert.deepEqual({ ...info }, expectedUserinfo(ALL_SCOPES));
});

test('userinfo claims match each scope exactly', { timeout: TEST_TIMEOUT_MS }, async () => {
  for (const scope of ['openid', 'openid profile', 'openid email', 'openid groups', 'openid roles']) {
    const { tokens, steps } = await codeFlow(scope);
    // The consent given in the first flow covers every subset.
    assert.deepEqual(steps, [], `no sign-in or consent for ${scope}`);
    assert.equal(tokens.scope, scope);

    const info = await client.fetchUserInfo(config, tokens.access_token, memberRow.subject);
    assert.deepEqual({ ...info }, expectedUserinfo(scope), `userinfo for ${scope}`);

    const { payload } = await verifyAccessToken(tokens.access_token);
    assert.equal(payload.scope, scope, `access token scope for ${scope}`);
  }
});

test('introspection describes both tokens', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { payload } = await verifyAccessToken(firstTokens.access_token);
  const access = await client.tokenIntrospection(config, firstTokens.access_token);
  assert.deepEqual({ ...access }, {
    active: true,
    sub: memberRow.subject,
    scope: payload.scope,
    client_id: wiki.client_id,
    exp: payload.exp,
    iat: payload.iat,
    iss: server.url,
    aud: server.url,
    jti: payload.jti,
    token_type: 'Bearer',
  });

  const refreshInfo = await client.tokenIntrospection(config, firstTokens.refresh_token, {
    token_type_hint: 'refresh_token',
  });
  assert.deepEqual(Object.keys(refreshInfo).sort(),
    ['active', 'client_id', 'exp', 'iat', 'iss', 'scope', 'sub', 'token_type']);
  assert.equal(refreshInfo.active, true);
  assert.equal(refreshInfo.token_type, 'refresh_token');
  assert.equal(refreshInfo.sub, memberRow.subject);
  assert.equal(refreshInfo.client_id, wiki.client_id);
  assert.equal(refreshInfo.iss, server.url);
  assert.deepEqual(refreshInfo.scope.split(' ').sort(), ALL_SCOPES.split(' ').sort());
  assert.ok(refreshInfo.exp > refreshInfo.iat, 'exp is after iat');
});

test('refresh rotates the token and keeps the identity', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { tokens: original } = await codeFlow(ALL_SCOPES);
  const first = original.claims();

  const renewed = await client.refreshTokenGrant(config, original.refresh_token);
  assert.notEqual(renewed.refresh_token, original.refresh_token);
  assert.notEqual(renewed.access_token, original.access_token);
  assert.deepEqual(renewed.scope.split(' ').sort(), ALL_SCOPES.split(' ').sort());

  // OpenID Connect Core section 12.2: same iss, sub, aud, azp and
  // auth_time as the ID token of the sign-in.
  const claims = renewed.claims();
  assert.equal(claims.iss, first.iss);
  assert.equal(claims.sub, first.sub);
  assert.equal(claims.aud, first.aud);
  assert.equal(claims.azp, first.azp);
  assert.equal(claims.auth_time, first.auth_time);
  assert.equal(claims.at_hash, atHash(renewed.access_token));

  const info = await client.fetchUserInfo(config, renewed.access_token, memberRow.subject);
  assert.deepEqual({ ...info }, expectedUserinfo(ALL_SCOPES));
});

test('reused refresh token revokes the grant', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { tokens } = await codeFlow(ALL_SCOPES);
  const renewed = await client.refreshTokenGrant(config, tokens.refresh_token);

  await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token), (error) => {
    assert.ok(error instanceof client.ResponseBodyError, `got ${error}`);
    assert.equal(error.error, 'invalid_grant');
    return true;
  });
  // The reuse ends the whole grant, so the rotated token fails as well.
  await assert.rejects(client.refreshTokenGrant(config, renewed.refresh_token), (error) => {
    assert.equal(error.error, 'invalid_grant');
    return true;
  });
});

test('revoked refresh token fails with invalid_grant', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { tokens } = await codeFlow(ALL_SCOPES);

  await client.tokenRevocation(config, tokens.refresh_token, { token_type_hint: 'refresh_token' });

  await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token), (error) => {
    assert.ok(error instanceof client.ResponseBodyError, `got ${error}`);
    assert.equal(error.error, 'invalid_grant');
    assert.equal(error.status, 400);
    return true;
  });
  const info = await client.tokenIntrospection(config, tokens.refresh_token);
  assert.deepEqual({ ...info }, { active: false });
  // Revoking the refresh token ends its grant, so its access token stops
  // working at userinfo too.
  await assert.rejects(client.fetchUserInfo(config, tokens.access_token, memberRow.subject), (error) => {
    assert.ok(error instanceof client.WWWAuthenticateChallengeError, `got ${error}`);
    assert.equal(error.cause[0].parameters.error, 'invalid_token');
    return true;
  });
});

test('revoked access token is inactive', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { tokens } = await codeFlow('openid profile');

  await client.tokenRevocation(config, tokens.access_token, { token_type_hint: 'access_token' });

  const info = await client.tokenIntrospection(config, tokens.access_token);
  assert.deepEqual({ ...info }, { active: false });
  await assert.rejects(client.fetchUserInfo(config, tokens.access_token, memberRow.subject), (error) => {
    assert.ok(error instanceof client.WWWAuthenticateChallengeError, `got ${error}`);
    assert.equal(error.cause[0].parameters.error, 'invalid_token');
    return true;
  });
  // The grant itself lives on: the refresh token still works.
  const renewed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.equal(renewed.claims().sub, memberRow.subject);
});

test('client_secret_post authenticates the same app', { timeout: TEST_TIMEOUT_MS }, async () => {
  const postConfig = await discover(client.ClientSecretPost(wiki.client_secret));
  const { tokens } = await codeFlow('openid email', { cfg: postConfig });

  assert.equal(tokens.claims().aud, wiki.client_id);
  const renewed = await client.refreshTokenGrant(postConfig, tokens.refresh_token);
  assert.equal(renewed.scope, 'openid email');
  const info = await client.tokenIntrospection(postConfig, renewed.access_token);
  assert.equal(info.active, true);
  assert.equal(info.client_id, wiki.client_id);
});

test('wrong client secret fails with invalid_client', { timeout: TEST_TIMEOUT_MS }, async () => {
  const wrong = await discover(client.ClientSecretBasic(wiki.client_secret + 'x'));

  // RFC 6749 section 5.2: a 401 with a challenge for the scheme the client
  // used, which openid-client reports before the body.
  const error = await client.clientCredentialsGrant(wrong, { scope: 'profile' }).then(
    () => assert.fail('client_credentials succeeded with a wrong secret'), (e) => e);
  assert.ok(error instanceof client.WWWAuthenticateChallengeError, `got ${error}`);
  assert.equal(error.status, 401);
  assert.equal(error.cause[0].scheme, 'basic');
  assert.equal((await error.response.json()).error, 'invalid_client');
});

test('client_credentials issues an app token', { timeout: TEST_TIMEOUT_MS }, async () => {
  const tokens = await client.clientCredentialsGrant(config, { scope: 'profile' });

  assert.equal(tokens.token_type, 'bearer');
  assert.equal(tokens.scope, 'profile');
  assert.equal(tokens.refresh_token, undefined);
  assert.equal(tokens.id_token, undefined);
  const { payload } = await verifyAccessToken(tokens.access_token);
  assert.deepEqual(Object.keys(payload).sort(), ['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub']);
  assert.equal(payload.sub, wiki.client_id);
  assert.equal(payload.client_id, wiki.client_id);
  assert.equal(payload.scope, 'profile');
});

test('wrong nonce fails the ID token check', { timeout: TEST_TIMEOUT_MS }, async () => {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: WIKI_CALLBACK, scope: 'openid', state, nonce: client.randomNonce(),
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const { callbackUrl } = await followAuthorization(url);

  await assert.rejects(client.authorizationCodeGrant(config, callbackUrl, {
    pkceCodeVerifier: verifier, expectedState: state, expectedNonce: client.randomNonce(), idTokenExpected: true,
  }), (error) => {
    assert.equal(error.code, 'OAUTH_JWT_CLAIM_COMPARISON_FAILED', `got ${error}`);
    assert.equal(error.cause.cause.claim, 'nonce');
    return true;
  });
});

test('wrong PKCE verifier fails with invalid_grant', { timeout: TEST_TIMEOUT_MS }, async () => {
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: WIKI_CALLBACK, scope: 'openid', state,
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  });
  const { callbackUrl } = await followAuthorization(url);

  await assert.rejects(client.authorizationCodeGrant(config, callbackUrl, {
    pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedState: state,
  }), (error) => {
    assert.ok(error instanceof client.ResponseBodyError, `got ${error}`);
    assert.equal(error.error, 'invalid_grant');
    return true;
  });
});

test('wrong redirect URI shows an error page', { timeout: TEST_TIMEOUT_MS }, async () => {
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: 'https://attacker.example.net/callback', scope: 'openid', state: client.randomState(),
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  });
  const res = await agent.get(url.href);

  assert.equal(res.status, 400);
  assert.equal(res.headers.get('location'), null);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  assert.match(res.text_, /redirect/i);
  assert.doesNotMatch(res.text_, /attacker\.example\.net\/callback\?/);
});

test('denied consent returns access_denied', { timeout: TEST_TIMEOUT_MS }, async () => {
  const other = addApp({ name: 'Project Manager', redirectUri: 'https://pm.example.org/callback' });
  const otherConfig = await client.discovery(new URL(server.url), other.client_id, undefined,
    client.ClientSecretBasic(other.client_secret), { timeout: LIBRARY_TIMEOUT_S });
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(otherConfig, {
    redirect_uri: 'https://pm.example.org/callback', scope: 'openid', state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const { callbackUrl, steps } = await followAuthorization(url, { decision: 'deny' });

  assert.deepEqual(steps, ['consent']);
  await assert.rejects(client.authorizationCodeGrant(otherConfig, callbackUrl, {
    pkceCodeVerifier: verifier, expectedState: state,
  }), (error) => {
    assert.ok(error instanceof client.AuthorizationResponseError, `got ${error}`);
    assert.equal(error.error, 'access_denied');
    return true;
  });
});

test('RP-initiated logout returns to the registered URI', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { tokens } = await codeFlow('openid');
  const state = client.randomState();
  const url = client.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token, post_logout_redirect_uri: WIKI_SIGNED_OUT, state,
  });

  const res = await agent.get(url.href);
  assert.equal(res.status, 303);
  const back = locationUrl(res, server.url);
  assert.equal(back.origin + back.pathname, WIKI_SIGNED_OUT);
  assert.equal(back.searchParams.get('state'), state);

  // The session is gone, so the next authorization request redirects to
  // the sign-in page.
  const again = await agent.get(client.buildAuthorizationUrl(config, {
    redirect_uri: WIKI_CALLBACK, scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  }).href);
  assert.equal(again.status, 303);
  assert.match(again.headers.get('location'), /^\/login\?/);
});

test('unregistered post-logout URI is rejected', { timeout: TEST_TIMEOUT_MS }, async () => {
  const url = client.buildEndSessionUrl(config, {
    client_id: wiki.client_id, post_logout_redirect_uri: 'https://attacker.example.net/out',
  });
  const res = await agent.get(url.href);

  assert.equal(res.status, 400);
  assert.equal(res.headers.get('location'), null);
  assert.match(res.headers.get('content-type'), /^text\/html/);
});
