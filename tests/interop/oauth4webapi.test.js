// Interop with oauth4webapi 3 as a public client (PKCE, no secret) with
// its strict checks on. They cover the discovered issuer, the RFC 9207 iss
// parameter in the authorization response, and the ID token's claims,
// nonce and RS256 signature. The test also checks the RFC 9068 access
// token, userinfo per scope, refresh, revocation, and the errors the
// server must return to a public client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { startServer } from '../helpers/server.js';
import { Agent, addMember, orgoctl } from '../helpers/http.js';
import { answerConsent, atHash, locationUrl } from '../helpers/oauth.js';

// Only parsed from Location headers, never fetched.
const CALLBACK = 'https://notes.example.org/callback';
const ACCESS_TOKEN_TTL = 600;
// Upper bound for each request that oauth4webapi makes: it sets none.
const REQUEST_TIMEOUT_MS = 10000;
// Upper bound for one test, covering the Agent's requests too.
const TEST_TIMEOUT_MS = 60000;
const ALL_SCOPES = 'openid profile email groups roles';

let server;
let member;
let memberRow;
let app;
let as;
let oauthClient;
let agent;

const requestOptions = () => ({ signal: () => AbortSignal.timeout(REQUEST_TIMEOUT_MS) });

/*
 * Follows an authorization URL the way a browser would: signs in when sent
 * to the sign-in page and submits the consent form when shown. Returns the
 * redirect back to the application and the steps taken.
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

async function authorizationUrl(scope, { state, nonce, verifier }) {
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('client_id', app.client_id);
  url.searchParams.set('redirect_uri', CALLBACK);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', scope);
  url.searchParams.set('state', state);
  url.searchParams.set('nonce', nonce);
  if (verifier) {
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
    url.searchParams.set('code_challenge_method', 'S256');
  }
  return url;
}

// Runs the code flow for 'scope' with every check oauth4webapi offers and
// returns the token response with the ID token claims.
async function codeFlow(scope) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const { callbackUrl, steps } = await followAuthorization(await authorizationUrl(scope, { state, nonce, verifier }));

  // Checks state and that iss equals the discovered issuer (RFC 9207),
  // which discovery declares as required.
  const params = oauth.validateAuthResponse(as, oauthClient, callbackUrl, state);
  const response = await oauth.authorizationCodeGrantRequest(as, oauthClient, oauth.None(), params, CALLBACK, verifier,
    requestOptions());
  const result = await oauth.processAuthorizationCodeResponse(as, oauthClient, response, {
    expectedNonce: nonce, requireIdToken: true,
  });
  await oauth.validateApplicationLevelSignature(as, response, requestOptions());
  return { result, claims: oauth.getValidatedIdTokenClaims(result), steps, nonce, callbackUrl };
}

function expectedUserinfo(scope) {
  const words = scope.split(' ');
  const claims = { sub: memberRow.subject };
  if (words.includes('profile')) {
    claims.name = 'Bob Tables';
    claims.updated_at = memberRow.updated_at;
  }
  if (words.includes('email')) {
    claims.email = 'bob@example.org';
    claims.email_verified = true;
  }
  if (words.includes('groups')) claims.groups = ['Finance', 'Outreach'];
  if (words.includes('roles')) claims.roles = ['MEMBER'];
  return claims;
}

async function fetchUserinfo(accessToken, expectedSubject = memberRow.subject) {
  const response = await oauth.userInfoRequest(as, oauthClient, accessToken, requestOptions());
  return oauth.processUserInfoResponse(as, oauthClient, expectedSubject, response);
}

// Validates the access token the way a resource server would (RFC 9068).
function validateAccessToken(accessToken) {
  const request = new Request(`${server.url}/api`, { headers: { authorization: `Bearer ${accessToken}` } });
  return oauth.validateJwtAccessToken(as, request, server.url, requestOptions());
}

async function refreshGrant(refreshToken) {
  const response = await oauth.refreshTokenGrantRequest(as, oauthClient, oauth.None(), refreshToken, requestOptions());
  return oauth.processRefreshTokenResponse(as, oauthClient, response);
}

async function revoke(token) {
  const response = await oauth.revocationRequest(as, oauthClient, oauth.None(), token, requestOptions());
  return oauth.processRevocationResponse(response);
}

before(async () => {
  server = await startServer();
  member = addMember(server, { email: 'bob@example.org', name: 'Bob Tables', groups: ['Outreach', 'Finance'] });
  memberRow = (await server.query(
    'SELECT subject, floor(extract(epoch FROM updated_at))::bigint AS updated_at FROM members WHERE email = $1',
    [member.email],
  )).rows[0];
  memberRow.updated_at = Number(memberRow.updated_at);

  const args = ['app', 'add', '--name', 'Field Notes', '--redirect-uri', CALLBACK, '--public', '--json'];
  for (const scope of ['profile', 'email', 'groups', 'roles']) args.push('--scope', scope);
  app = JSON.parse(orgoctl(server, args));

  const issuer = new URL(server.url);
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...requestOptions() });
  as = await oauth.processDiscoveryResponse(issuer, response);
  // Strict client metadata: RS256 ID tokens that must carry auth_time.
  oauthClient = { client_id: app.client_id, id_token_signed_response_alg: 'RS256', require_auth_time: true };
  agent = new Agent(server.url);
});
after(async () => server?.stop());

test('public app is registered without a secret', { timeout: TEST_TIMEOUT_MS }, () => {
  assert.equal(app.client_type, 'public');
  assert.equal(app.client_secret, undefined);
  assert.equal(as.issuer, server.url);
  assert.equal(as.authorization_response_iss_parameter_supported, true);
  assert.ok(as.token_endpoint_auth_methods_supported.includes('none'), 'token endpoint accepts auth method none');
});

test('code flow with PKCE signs in a public app', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { result, claims, steps, nonce, callbackUrl } = await codeFlow(ALL_SCOPES);

  assert.deepEqual(steps, ['login', 'consent']);
  assert.equal(callbackUrl.searchParams.get('iss'), server.url);
  assert.equal(result.token_type, 'bearer');
  assert.equal(result.expires_in, ACCESS_TOKEN_TTL);
  assert.deepEqual(result.scope.split(' ').sort(), ALL_SCOPES.split(' ').sort());
  assert.equal(typeof result.refresh_token, 'string');

  assert.deepEqual(Object.keys(claims).sort(),
    ['at_hash', 'aud', 'auth_time', 'azp', 'exp', 'iat', 'iss', 'nonce', 'sub']);
  assert.equal(claims.iss, server.url);
  assert.equal(claims.sub, memberRow.subject);
  assert.equal(claims.aud, app.client_id);
  assert.equal(claims.azp, app.client_id);
  assert.equal(claims.nonce, nonce);
  assert.equal(claims.exp - claims.iat, ACCESS_TOKEN_TTL);
  // oauth4webapi 3 checks no at_hash in the code flow, so the test does
  // (OpenID Connect Core section 3.1.3.6).
  assert.equal(claims.at_hash, atHash(result.access_token));

  const accessClaims = await validateAccessToken(result.access_token);
  assert.deepEqual(Object.keys(accessClaims).sort(),
    ['aud', 'auth_time', 'client_id', 'exp', 'gid', 'iat', 'iss', 'jti', 'scope', 'sub']);
  assert.equal(accessClaims.sub, memberRow.subject);
  assert.equal(accessClaims.client_id, app.client_id);
  assert.equal(accessClaims.aud, server.url);
  assert.equal(accessClaims.scope, result.scope);
  assert.equal(accessClaims.auth_time, claims.auth_time);

  assert.deepEqual({ ...await fetchUserinfo(result.access_token) }, expectedUserinfo(ALL_SCOPES));
});

test('userinfo claims match each scope exactly', { timeout: TEST_TIMEOUT_MS }, async () => {
  for (const scope of ['openid', 'openid profile', 'openid email', 'openid groups', 'openid roles']) {
    const { result, steps } = await codeFlow(scope);
    assert.deepEqual(steps, [], `no sign-in or consent for ${scope}`);
    assert.equal(result.scope, scope);

    assert.deepEqual({ ...await fetchUserinfo(result.access_token) }, expectedUserinfo(scope), `userinfo for ${scope}`);
    assert.equal((await validateAccessToken(result.access_token)).scope, scope);
  }
});

test('refresh works without a secret', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { result: original, claims: first } = await codeFlow(ALL_SCOPES);

  const renewed = await refreshGrant(original.refresh_token);
  assert.notEqual(renewed.refresh_token, original.refresh_token);
  assert.deepEqual(renewed.scope.split(' ').sort(), ALL_SCOPES.split(' ').sort());

  const claims = oauth.getValidatedIdTokenClaims(renewed);
  assert.equal(claims.sub, first.sub);
  assert.equal(claims.aud, first.aud);
  assert.equal(claims.azp, first.azp);
  assert.equal(claims.auth_time, first.auth_time);
  assert.equal(claims.at_hash, atHash(renewed.access_token));
  assert.deepEqual({ ...await fetchUserinfo(renewed.access_token) }, expectedUserinfo(ALL_SCOPES));
});

test('narrower scope on refresh narrows userinfo', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { result } = await codeFlow(ALL_SCOPES);

  const response = await oauth.refreshTokenGrantRequest(as, oauthClient, oauth.None(), result.refresh_token, {
    ...requestOptions(), additionalParameters: { scope: 'openid email' },
  });
  const renewed = await oauth.processRefreshTokenResponse(as, oauthClient, response);
  assert.equal(renewed.scope, 'openid email');
  assert.deepEqual({ ...await fetchUserinfo(renewed.access_token) }, expectedUserinfo('openid email'));
});

test('revoked refresh token fails with invalid_grant', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { result } = await codeFlow('openid profile');

  await revoke(result.refresh_token);

  await assert.rejects(refreshGrant(result.refresh_token), (error) => {
    assert.ok(error instanceof oauth.ResponseBodyError, `got ${error}`);
    assert.equal(error.error, 'invalid_grant');
    assert.equal(error.status, 400);
    return true;
  });
  await assert.rejects(fetchUserinfo(result.access_token), (error) => {
    assert.ok(error instanceof oauth.WWWAuthenticateChallengeError, `got ${error}`);
    assert.equal(error.status, 401);
    assert.equal(error.cause[0].parameters.error, 'invalid_token');
    return true;
  });
});

test('redeemed code cannot be used again', { timeout: TEST_TIMEOUT_MS }, async () => {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const { callbackUrl } = await followAuthorization(await authorizationUrl('openid', { state, nonce, verifier }));
  const params = oauth.validateAuthResponse(as, oauthClient, callbackUrl, state);

  const first = await oauth.authorizationCodeGrantRequest(as, oauthClient, oauth.None(), params, CALLBACK, verifier,
    requestOptions());
  await oauth.processAuthorizationCodeResponse(as, oauthClient, first, { expectedNonce: nonce });
  assert.equal(first.status, 200);

  const again = await oauth.authorizationCodeGrantRequest(as, oauthClient, oauth.None(), params, CALLBACK, verifier,
    requestOptions());
  await assert.rejects(oauth.processAuthorizationCodeResponse(as, oauthClient, again), (error) => {
    assert.ok(error instanceof oauth.ResponseBodyError, `got ${error}`);
    assert.equal(error.error, 'invalid_grant');
    return true;
  });
});

test('code with a wrong or no verifier fails', { timeout: TEST_TIMEOUT_MS }, async () => {
  for (const [label, sentVerifier] of [['wrong verifier', oauth.generateRandomCodeVerifier()], ['no verifier', oauth.nopkce]]) {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const { callbackUrl } = await followAuthorization(
      await authorizationUrl('openid', { state, nonce: oauth.generateRandomNonce(), verifier }));
    const params = oauth.validateAuthResponse(as, oauthClient, callbackUrl, state);

    const response = await oauth.authorizationCodeGrantRequest(as, oauthClient, oauth.None(), params, CALLBACK,
      sentVerifier, requestOptions());
    await assert.rejects(oauth.processAuthorizationCodeResponse(as, oauthClient, response), (error) => {
      assert.ok(error instanceof oauth.ResponseBodyError, `${label}: got ${error}`);
      assert.equal(error.error, 'invalid_grant', label);
      return true;
    });
  }
});

test('public app without PKCE gets invalid_request', { timeout: TEST_TIMEOUT_MS }, async () => {
  const state = oauth.generateRandomState();
  const { callbackUrl } = await followAuthorization(
    await authorizationUrl('openid', { state, nonce: oauth.generateRandomNonce() }));

  // The error response passes the state and iss checks, then raises.
  assert.throws(() => oauth.validateAuthResponse(as, oauthClient, callbackUrl, state), (error) => {
    assert.ok(error instanceof oauth.AuthorizationResponseError, `got ${error}`);
    assert.equal(error.error, 'invalid_request');
    assert.match(error.error_description, /code_challenge/);
    return true;
  });
});

test('iss from another issuer is rejected', { timeout: TEST_TIMEOUT_MS }, async () => {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const { callbackUrl } = await followAuthorization(
    await authorizationUrl('openid', { state, nonce: oauth.generateRandomNonce(), verifier }));

  const forged = new URL(callbackUrl);
  forged.searchParams.set('iss', 'https://issuer.example.net');
  assert.throws(() => oauth.validateAuthResponse(as, oauthClient, forged, state), /"iss"/);
  const missing = new URL(callbackUrl);
  missing.searchParams.delete('iss');
  assert.throws(() => oauth.validateAuthResponse(as, oauthClient, missing, state), /"iss"/);
});

test('client secret from a public app is rejected', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { result } = await codeFlow('openid');

  const response = await oauth.refreshTokenGrantRequest(as, oauthClient, oauth.ClientSecretPost('not-a-secret'),
    result.refresh_token, requestOptions());
  await assert.rejects(oauth.processRefreshTokenResponse(as, oauthClient, response), (error) => {
    assert.ok(error instanceof oauth.ResponseBodyError, `got ${error}`);
    assert.equal(error.error, 'invalid_client');
    assert.equal(error.status, 401);
    return true;
  });
});

test('introspection needs a confidential app', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { result } = await codeFlow('openid');

  const response = await oauth.introspectionRequest(as, oauthClient, oauth.None(), result.access_token,
    requestOptions());
  await assert.rejects(oauth.processIntrospectionResponse(as, oauthClient, response), (error) => {
    assert.ok(error instanceof oauth.ResponseBodyError, `got ${error}`);
    assert.equal(error.error, 'invalid_client');
    assert.equal(error.status, 401);
    return true;
  });
});

test('wrong redirect URI shows an error page', { timeout: TEST_TIMEOUT_MS }, async () => {
  const url = await authorizationUrl('openid', {
    state: oauth.generateRandomState(), nonce: oauth.generateRandomNonce(), verifier: oauth.generateRandomCodeVerifier(),
  });
  url.searchParams.set('redirect_uri', 'https://notes.example.org/callback/other');
  const res = await agent.get(url.href);

  assert.equal(res.status, 400);
  assert.equal(res.headers.get('location'), null);
  assert.match(res.headers.get('content-type'), /^text\/html/);
});
