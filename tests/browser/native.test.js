// Native apps in a real browser (RFC 8252). Headless Chromium signs in and
// consents for an app that is a loopback listener on a port the system
// chose, or a private-use URI scheme. It also approves a device on /device,
// and loads the loopback lookalikes that must get the error page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { chromium } from 'playwright-core';
import { startServer } from '../helpers/server.js';
import { addMember } from '../helpers/http.js';
import { addApp, authorizePath, basicAuth, decodeJwt, memberSubject, pkcePair, redeemCode, tokenRequest } from '../helpers/oauth.js';

// Upper bound for each click, navigation and wait.
const STEP_TIMEOUT_MS = 10000;
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

let server;
let browser;
let member;

before(async () => {
  server = await startServer();
  member = addMember(server, { email: 'nadia@example.org', name: 'Nadia Native' });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    timeout: 30000,
  });
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

async function newPage() {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  return { context, page };
}

// Signs in on the sign-in form the browser was sent to.
async function signIn(page) {
  assert.match(page.url(), new RegExp(`^${server.url}/login\\?`), 'sent to the sign-in page');
  await page.locator('#email').fill(member.email);
  await page.locator('#password').fill(member.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

// A command-line app's listener on 127.0.0.1, on a port the system picks.
// 'received' resolves with the first request's URL.
function startLoopbackListener() {
  return new Promise((resolve, reject) => {
    let deliver;
    const received = new Promise((r) => { deliver = r; });
    const srv = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Done</title><h1>You can close this window</h1>');
      deliver(new URL(req.url, `http://127.0.0.1:${srv.address().port}`));
    });
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve({ srv, port: srv.address().port, received }));
  });
}

// Resolves with 'promise', or rejects after 'ms' naming 'what'.
function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

test('command-line app on a system-chosen loopback port', async () => {
  const app = addApp(server, { name: 'Orgo CLI', redirectUris: ['http://127.0.0.1/callback'], scopes: ['profile'], isPublic: true });
  const listener = await startLoopbackListener();
  const redirectUri = `http://127.0.0.1:${listener.port}/callback`;
  const { verifier, challenge } = pkcePair();
  const { context, page } = await newPage();

  try {
    await page.goto(server.url + authorizePath({
      client_id: app.client_id, redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile',
      state: 'cli-state', code_challenge: challenge, code_challenge_method: 'S256',
    }));
    await signIn(page);
    await page.getByRole('heading', { name: 'Allow Orgo CLI to use your Orgo account?' }).waitFor({ state: 'visible' });
    await page.getByText(`127.0.0.1:${listener.port}`).waitFor({ state: 'visible' });
    await page.getByRole('button', { name: 'Allow' }).click();

    const landed = await within(listener.received, STEP_TIMEOUT_MS, 'the loopback listener');
    assert.equal(landed.pathname, '/callback');
    assert.equal(landed.searchParams.get('state'), 'cli-state');
    assert.equal(landed.searchParams.get('iss'), server.url);
    const code = landed.searchParams.get('code');
    assert.match(code, /^[A-Za-z0-9_-]{43}$/);
    await page.getByRole('heading', { name: 'You can close this window' }).waitFor({ state: 'visible' });

    // The code is bound to the URI with its port: the registered one
    // without the port does not redeem it, and the failed try spends
    // nothing.
    const portless = await redeemCode(server, app, code, { redirectUri: 'http://127.0.0.1/callback', verifier });
    assert.equal(portless.status, 400);
    assert.equal(portless.json.error, 'invalid_grant');

    const tokens = await redeemCode(server, app, code, { redirectUri, verifier });
    assert.equal(tokens.status, 200, tokens.text_);
    assert.equal(decodeJwt(tokens.json.id_token).payload.sub, memberSubject(server, member.email));
  } finally {
    await context.close();
    await new Promise((resolve) => listener.srv.close(resolve));
  }
});

test('private-use scheme gets the code in its query', async () => {
  const app = addApp(server, { name: 'Orgo Mobile', redirectUris: ['com.example.app:/callback'], scopes: ['email'], isPublic: true });
  const { verifier, challenge } = pkcePair();
  const { context, page } = await newPage();

  try {
    await page.goto(server.url + authorizePath({
      client_id: app.client_id, redirect_uri: 'com.example.app:/callback', response_type: 'code', scope: 'openid email',
      state: 'mobile state', code_challenge: challenge, code_challenge_method: 'S256',
    }));
    await signIn(page);
    await page.getByRole('heading', { name: 'Allow Orgo Mobile to use your Orgo account?' }).waitFor({ state: 'visible' });

    // Chromium has no handler for the scheme, so the redirect is read
    // from the response that carries it.
    const redirect = page.waitForResponse(
      (res) => (res.headers().location ?? '').startsWith('com.example.app:'), { timeout: STEP_TIMEOUT_MS });
    await page.getByRole('button', { name: 'Allow' }).click();
    const location = (await redirect).headers().location;

    assert.match(location, /^com\.example\.app:\/callback\?code=[A-Za-z0-9_-]{43}&state=mobile%20state&iss=/);
    const url = new URL(location);
    assert.equal(url.protocol, 'com.example.app:');
    assert.equal(url.pathname, '/callback');
    assert.equal(url.searchParams.get('state'), 'mobile state');
    assert.equal(url.searchParams.get('iss'), server.url);

    const tokens = await redeemCode(server, app, url.searchParams.get('code'),
      { redirectUri: 'com.example.app:/callback', verifier });
    assert.equal(tokens.status, 200, tokens.text_);
    assert.equal(tokens.json.scope, 'openid email');
  } finally {
    await context.close();
  }
});

test('device flow approved in the browser', async () => {
  const app = addApp(server, { name: 'Meeting Room TV', scopes: ['profile'], grants: ['device_code'] });
  const res = await fetch(`${server.url}/oauth/device_authorization`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(app.client_id, app.client_secret) },
    body: new URLSearchParams({ scope: 'openid profile' }).toString(),
  });
  assert.equal(res.status, 200);
  const start = await res.json();
  const { context, page } = await newPage();

  try {
    await page.goto(start.verification_uri_complete);
    await signIn(page);
    await page.waitForURL(`${server.url}/device?user_code=${start.user_code}`);
    assert.equal(await page.locator('#user_code').inputValue(), start.user_code, 'the code is prefilled');
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.getByRole('heading', { name: 'Allow Meeting Room TV on your device?' }).waitFor({ state: 'visible' });
    await page.getByText(start.user_code, { exact: true }).waitFor({ state: 'visible' });
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('heading', { name: 'Device connected' }).waitFor({ state: 'visible' });

    const tokens = await tokenRequest(server, { grant_type: DEVICE_GRANT, device_code: start.device_code },
      { basic: [app.client_id, app.client_secret] });
    assert.equal(tokens.status, 200, tokens.text_);
    assert.equal(tokens.json.scope, 'openid profile');
    assert.equal(decodeJwt(tokens.json.id_token).payload.aud, app.client_id);
  } finally {
    await context.close();
  }
});

test('loopback lookalikes get the error page', async () => {
  const app = addApp(server, {
    name: 'Strict CLI', redirectUris: ['http://127.0.0.1/callback', 'http://localhost:3000/callback'], isPublic: true,
  });
  const refused = [
    'http://127.0.0.1.evil.example/callback',
    'http://127.0.0.1@evil.example/callback',
    'http://127.0.0.1:8080@evil.example/callback',
    'http://127.0.0.1:8080/other',
    'http://127.0.0.1:8080/callback?next=evil',
    'https://127.0.0.1:8080/callback',
    'http://localhost:3001/callback',
    'http://localhost/callback',
  ];
  const { context, page } = await newPage();

  try {
    for (const redirectUri of refused) {
      const url = server.url + authorizePath({
        client_id: app.client_id, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state: 's',
        code_challenge: pkcePair().challenge, code_challenge_method: 'S256',
      });
      const res = await page.goto(url);
      assert.equal(res.status(), 400, redirectUri);
      assert.equal(page.url(), url, `${redirectUri}: the browser stays on the server`);
      await page.getByRole('heading', { name: 'Invalid redirect URI' }).waitFor({ state: 'visible' });
    }
  } finally {
    await context.close();
  }
});
