// Interop with oidc-client-ts 3 in headless Chromium. A single-page app
// served by the test on 127.0.0.1 signs in with the code flow and PKCE as
// a public client and reads userinfo through CORS. It then renews with the
// refresh token and signs out with RP-initiated logout. The test fills the
// real sign-in form and clicks Allow on the real consent page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import * as jose from 'jose';
import { ROOT, startServer } from '../helpers/server.js';
import { addMember, orgoctl } from '../helpers/http.js';
import { atHash } from '../helpers/oauth.js';

// Upper bound for each click, navigation and wait in the browser.
const STEP_TIMEOUT_MS = 10000;
const TEST_TIMEOUT_MS = 120000;
const SCOPE = 'openid profile email groups roles';
const ACCESS_TOKEN_TTL = 600;
const BUNDLE = path.join(ROOT, 'node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js');

// The page and the callback page share the head: the library's browser
// bundle (global "oidc") and the app's own module script.
const htmlPage = (title) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${title}</title>
<script src="/oidc-client-ts.min.js"></script>
<script type="module" src="/app.js"></script>
</head>
<body>
<h1>${title}</h1>
<p id="status" data-state="loading">loading</p>
<button id="sign-in">Sign in</button>
<button id="renew">Renew</button>
<button id="sign-out">Sign out</button>
<pre id="userinfo"></pre>
<pre id="profile"></pre>
</body>
</html>
`;

// The app: settings come from /settings.json, which contains no secret
// because the app is public. #status shows the outcome of each step.
const APP_JS = `
const settings = await (await fetch('/settings.json', { signal: AbortSignal.timeout(10000) })).json();
const manager = new oidc.UserManager({
  authority: settings.authority,
  client_id: settings.clientId,
  redirect_uri: settings.redirectUri,
  post_logout_redirect_uri: settings.postLogoutRedirectUri,
  response_type: 'code',
  scope: settings.scope,
  loadUserInfo: true,
  automaticSilentRenew: false,
  requestTimeoutInSeconds: 10,
  userStore: new oidc.WebStorageStateStore({ store: window.sessionStorage }),
});
const status = document.getElementById('status');
let renewals = 0;

function show(state, text) {
  status.dataset.state = state;
  status.textContent = text ?? state;
}

async function showUser(user, state) {
  const endpoint = await manager.metadataService.getUserInfoEndpoint();
  const res = await fetch(endpoint, {
    headers: { authorization: 'Bearer ' + user.access_token },
    signal: AbortSignal.timeout(10000),
  });
  if (!res.ok) throw new Error('userinfo failed with status ' + res.status);
  document.getElementById('userinfo').textContent = JSON.stringify(await res.json());
  document.getElementById('profile').textContent = JSON.stringify(user.profile);
  show(state);
}

async function run(step) {
  try {
    await step();
  } catch (error) {
    show('error', 'error: ' + (error && error.message));
  }
}

document.getElementById('sign-in').addEventListener('click', () => run(async () => {
  show('redirecting');
  await manager.signinRedirect({ nonce: crypto.randomUUID() });
}));
document.getElementById('renew').addEventListener('click', () => run(async () => {
  const user = await manager.signinSilent();
  renewals += 1;
  status.dataset.renewals = String(renewals);
  await showUser(user, 'renewed');
}));
document.getElementById('sign-out').addEventListener('click', () => run(async () => {
  show('redirecting');
  // Without state data oidc-client-ts 3.5 sends no state, and then the
  // callback has nothing to check.
  await manager.signoutRedirect({ state: { from: 'sign-out button' } });
}));

run(async () => {
  const params = new URLSearchParams(location.search);
  if (location.pathname === '/callback.html') {
    await manager.signinRedirectCallback();
    location.replace('/');
    return;
  }
  if (params.has('state')) {
    await manager.signoutRedirectCallback();
    show('signed-out-callback');
    return;
  }
  const user = await manager.getUser();
  if (user === null) show('signed-out');
  else await showUser(user, 'signed-in');
});
`;

let server;
let member;
let memberRow;
let spa;
let spaOrigin;
let app;
let browser;
let context;
let browserPage;
let otherOrigin;
// What the browser did, shared by the steps below, which run in order.
let signedIn;
let renewed;
const pageErrors = [];
const authorizeUrls = [];
const logoutUrls = [];
const tokenForms = [];
const userinfoOrigins = [];
const pagesSeen = [];
// Every body of the app's own files that the SPA server sent, to prove
// none contains a secret. The library bundle is left out: it names
// client_secret because it supports confidential clients too.
const servedBodies = [];

function startSpaServer(settings) {
  const html = 'text/html; charset=utf-8';
  const js = 'text/javascript; charset=utf-8';
  const routes = {
    '/': { type: html, body: () => htmlPage('Orgo test SPA'), own: true },
    '/callback.html': { type: html, body: () => htmlPage('Signing in'), own: true },
    '/app.js': { type: js, body: () => APP_JS, own: true },
    '/settings.json': { type: 'application/json', body: () => JSON.stringify(settings()), own: true },
    '/oidc-client-ts.min.js': { type: js, body: () => fs.readFileSync(BUNDLE, 'utf8'), own: false },
  };
  const httpServer = http.createServer((req, res) => {
    const route = routes[new URL(req.url, 'http://127.0.0.1').pathname];
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const body = route.body();
    if (route.own) servedBodies.push(body);
    res.writeHead(200, { 'content-type': route.type, 'cache-control': 'no-store' }).end(body);
  });
  return new Promise((resolve, reject) => {
    httpServer.on('error', reject);
    httpServer.listen(0, '127.0.0.1', () => resolve(httpServer));
  });
}

// Waits for a navigation to 'pattern' and, on a timeout, fails with the
// page the browser is on instead.
async function waitForPage(tab, pattern) {
  try {
    await tab.waitForURL(pattern, { timeout: STEP_TIMEOUT_MS });
  } catch {
    const text = await tab.locator('body').innerText({ timeout: 1000 }).catch(() => '');
    assert.fail(`expected ${pattern}, the browser is at ${tab.url()} showing: ${text.slice(0, 500)}`);
  }
}

const jwks = () => jose.createRemoteJWKSet(new URL('/oauth/jwks', server.url), { timeoutDuration: STEP_TIMEOUT_MS });

async function waitForState(tab, expected) {
  const status = tab.locator(`#status[data-state="${expected}"], #status[data-state="error"]`);
  await status.waitFor({ timeout: STEP_TIMEOUT_MS });
  assert.equal(await status.getAttribute('data-state'), expected, await status.textContent());
}

async function storedUser(tab) {
  const key = `oidc.user:${server.url}:${app.client_id}`;
  const text = await tab.evaluate((k) => sessionStorage.getItem(k), key);
  return text === null ? null : JSON.parse(text);
}

async function webStorageText(tab) {
  return tab.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }));
}

function expectedUserinfo() {
  return {
    sub: memberRow.subject,
    name: 'Carol Danvers',
    updated_at: memberRow.updated_at,
    email: 'carol@example.org',
    email_verified: true,
    groups: ['Pilots'],
    roles: ['MEMBER'],
  };
}

before(async () => {
  server = await startServer();
  member = addMember(server, { email: 'carol@example.org', name: 'Carol Danvers', groups: ['Pilots'] });
  memberRow = (await server.query(
    'SELECT subject, floor(extract(epoch FROM updated_at))::bigint AS updated_at FROM members WHERE email = $1',
    [member.email],
  )).rows[0];
  memberRow.updated_at = Number(memberRow.updated_at);

  spa = await startSpaServer(() => ({
    authority: server.url,
    clientId: app.client_id,
    redirectUri: `${spaOrigin}/callback.html`,
    postLogoutRedirectUri: `${spaOrigin}/`,
    scope: SCOPE,
  }));
  spaOrigin = `http://127.0.0.1:${spa.address().port}`;
  const args = ['app', 'add', '--name', 'Team Board', '--redirect-uri', `${spaOrigin}/callback.html`,
    '--post-logout-redirect-uri', `${spaOrigin}/`, '--public', '--json'];
  for (const scope of ['profile', 'email', 'groups', 'roles']) args.push('--scope', scope);
  app = JSON.parse(orgoctl(server, args));

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    timeout: 30000,
  });
  context = await browser.newContext({ ignoreHTTPSErrors: true });
  browserPage = await context.newPage();
  browserPage.setDefaultTimeout(STEP_TIMEOUT_MS);
  browserPage.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  browserPage.on('pageerror', (error) => pageErrors.push(`${browserPage.url()}: ${error.message}`));

  // Record what the SPA sends to the server and the CORS header of each
  // userinfo response.
  browserPage.on('request', (request) => {
    const url = request.url();
    if (url.startsWith(`${server.url}/oauth/authorize?`)) authorizeUrls.push(new URL(url));
    if (url.startsWith(`${server.url}/oauth/logout?`)) logoutUrls.push(new URL(url));
    if (url === `${server.url}/oauth/token`) tokenForms.push(new URLSearchParams(request.postData() ?? ''));
  });
  browserPage.on('response', (response) => {
    if (response.url() === `${server.url}/oauth/userinfo` && response.request().method() === 'GET') {
      userinfoOrigins.push(response.headers()['access-control-allow-origin']);
    }
  });
});
after(async () => {
  await context?.close();
  await browser?.close();
  await Promise.all([spa, otherOrigin].map((s) => new Promise((resolve) => (s ? s.close(resolve) : resolve()))));
  await server?.stop();
});

// Keeps the page's HTML and web storage for the secret check at the end.
async function recordPage() {
  pagesSeen.push(await browserPage.content());
  pagesSeen.push(await webStorageText(browserPage));
}

test('SPA signs in with redirect and PKCE', { timeout: TEST_TIMEOUT_MS }, async () => {
  await browserPage.goto(`${spaOrigin}/`);
  await waitForState(browserPage, 'signed-out');
  await recordPage();

  // The library sends the browser to /oauth/authorize, the server sends it
  // on to its sign-in page and then to the consent page.
  await browserPage.locator('#sign-in').click();
  await waitForPage(browserPage, `${server.url}/login?**`);
  await browserPage.locator('#email').fill(member.email);
  await browserPage.locator('#password').fill(member.password);
  await browserPage.locator('form[action="/login"] button[type="submit"]').click();
  await waitForPage(browserPage, `${server.url}/oauth/authorize/resume?**`);
  await browserPage.locator('button[name="decision"][value="allow"]').click();
  await waitForPage(browserPage, `${spaOrigin}/`);
  await waitForState(browserPage, 'signed-in');
  await recordPage();

  assert.equal(authorizeUrls.length, 1);
  const authorize = authorizeUrls[0].searchParams;
  assert.equal(authorize.get('client_id'), app.client_id);
  assert.equal(authorize.get('redirect_uri'), `${spaOrigin}/callback.html`);
  assert.equal(authorize.get('response_type'), 'code');
  assert.equal(authorize.get('code_challenge_method'), 'S256');
  assert.equal(authorize.get('scope'), SCOPE);

  assert.equal(tokenForms.length, 1);
  assert.equal(tokenForms[0].get('grant_type'), 'authorization_code');
  assert.equal(tokenForms[0].get('client_id'), app.client_id);
  assert.match(tokenForms[0].get('code_verifier'), /^[A-Za-z0-9._~-]{43,128}$/);
  assert.equal(tokenForms[0].has('client_secret'), false);

  // The ID token, checked here because oidc-client-ts does not verify
  // signatures.
  signedIn = await storedUser(browserPage);
  const { payload: idClaims } = await jose.jwtVerify(signedIn.id_token, jwks(), {
    issuer: server.url, audience: app.client_id, algorithms: ['RS256'],
  });
  assert.deepEqual(Object.keys(idClaims).sort(),
    ['at_hash', 'aud', 'auth_time', 'azp', 'exp', 'iat', 'iss', 'nonce', 'sub']);
  assert.equal(idClaims.sub, memberRow.subject);
  assert.equal(idClaims.azp, app.client_id);
  assert.equal(idClaims.nonce, authorize.get('nonce'));
  assert.equal(idClaims.at_hash, atHash(signedIn.access_token));
  assert.equal(idClaims.exp - idClaims.iat, ACCESS_TOKEN_TTL);

  const { payload: accessClaims } = await jose.jwtVerify(signedIn.access_token, jwks(), {
    issuer: server.url, audience: server.url, typ: 'at+jwt', algorithms: ['RS256'],
  });
  assert.equal(accessClaims.sub, memberRow.subject);
  assert.equal(accessClaims.client_id, app.client_id);
  assert.equal(accessClaims.scope, signedIn.scope);
});

test('SPA reads userinfo through CORS', { timeout: TEST_TIMEOUT_MS }, async () => {
  // The page's own fetch of userinfo.
  const userinfo = JSON.parse(await browserPage.locator('#userinfo').textContent());
  assert.deepEqual(userinfo, expectedUserinfo());
  assert.ok(userinfoOrigins.length >= 1, 'the page called userinfo');
  assert.ok(userinfoOrigins.every((origin) => origin === spaOrigin), `CORS origins: ${userinfoOrigins}`);

  // The library's profile: ID token claims without the protocol claims it
  // filters out, merged with its own userinfo request.
  const profile = JSON.parse(await browserPage.locator('#profile').textContent());
  const { exp, iat, ...stable } = profile;
  assert.deepEqual(stable, { ...expectedUserinfo(), iss: server.url, aud: app.client_id });
  assert.equal(exp - iat, ACCESS_TOKEN_TTL);
});

test('other origin cannot read userinfo', { timeout: TEST_TIMEOUT_MS }, async () => {
  // A page on an origin that no application registered.
  otherOrigin = await new Promise((resolve, reject) => {
    const s = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Other</title>');
    });
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
  const otherPage = await context.newPage();
  try {
    await otherPage.goto(`http://127.0.0.1:${otherOrigin.address().port}/`, { timeout: STEP_TIMEOUT_MS });
    const outcome = await otherPage.evaluate(async ({ url, token }) => {
      try {
        const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10000) });
        return `status ${res.status}`;
      } catch (error) {
        return error.name;
      }
    }, { url: `${server.url}/oauth/userinfo`, token: signedIn.access_token });
    assert.equal(outcome, 'TypeError', 'the browser blocks the response');
  } finally {
    await otherPage.close();
  }
});

test('SPA renews with the refresh token', { timeout: TEST_TIMEOUT_MS }, async () => {
  await browserPage.locator('#renew').click();
  await waitForState(browserPage, 'renewed');
  await recordPage();

  assert.equal(await browserPage.locator('#status').getAttribute('data-renewals'), '1');
  assert.equal(tokenForms.length, 2);
  assert.equal(tokenForms[1].get('grant_type'), 'refresh_token');
  assert.equal(tokenForms[1].get('client_id'), app.client_id);
  assert.equal(tokenForms[1].get('refresh_token'), signedIn.refresh_token);
  assert.equal(tokenForms[1].has('client_secret'), false);

  renewed = await storedUser(browserPage);
  assert.notEqual(renewed.access_token, signedIn.access_token);
  assert.notEqual(renewed.refresh_token, signedIn.refresh_token);
  const { payload: claims } = await jose.jwtVerify(renewed.id_token, jwks(), {
    issuer: server.url, audience: app.client_id, algorithms: ['RS256'],
  });
  const original = jose.decodeJwt(signedIn.id_token);
  assert.equal(claims.sub, original.sub);
  assert.equal(claims.azp, original.azp);
  assert.equal(claims.auth_time, original.auth_time);
  assert.equal(claims.at_hash, atHash(renewed.access_token));
  assert.deepEqual(JSON.parse(await browserPage.locator('#userinfo').textContent()), expectedUserinfo());
});

test('SPA signs out at the server', { timeout: TEST_TIMEOUT_MS }, async () => {
  // The server ends its session without asking, because id_token_hint
  // names the signed-in member, and returns to the app with its state.
  await browserPage.locator('#sign-out').click();
  await waitForPage(browserPage, `${spaOrigin}/?state=**`);
  await waitForState(browserPage, 'signed-out-callback');
  await recordPage();

  assert.equal(logoutUrls.length, 1);
  const logout = logoutUrls[0].searchParams;
  assert.equal(logout.get('id_token_hint'), renewed.id_token);
  assert.equal(logout.get('post_logout_redirect_uri'), `${spaOrigin}/`);
  assert.equal(new URL(browserPage.url()).searchParams.get('state'), logout.get('state'));
  assert.equal(await storedUser(browserPage), null);
  const sessions = await server.query(
    'SELECT count(*)::int AS n FROM sessions s JOIN members m ON m.id = s.member_id WHERE m.email = $1',
    [member.email],
  );
  assert.equal(sessions.rows[0].n, 0);

  // Signing in again requires the password.
  await browserPage.locator('#sign-in').click();
  await waitForPage(browserPage, `${server.url}/login?**`);
});

test('SPA contains no client secret', { timeout: TEST_TIMEOUT_MS }, () => {
  assert.ok(servedBodies.length >= 3, 'the app files were served');
  assert.ok(pagesSeen.length >= 6, 'pages were recorded');
  for (const text of [...servedBodies, ...pagesSeen]) {
    assert.doesNotMatch(text, /client_secret/i);
  }
  for (const form of tokenForms) assert.equal(form.has('client_secret'), false);
  assert.deepEqual(pageErrors, []);
});
