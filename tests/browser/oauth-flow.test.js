// The authorization code flow in a real browser: headless Chromium opens
// /oauth/authorize, signs in on the real form, clicks Allow and lands on a
// callback page served on 127.0.0.1; the test then redeems the code. A
// second test signs in with consent already given, so the sign-in form
// leads straight to the callback page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { chromium } from 'playwright-core';
import { startServer } from '../helpers/server.js';
import { Agent, addMember } from '../helpers/http.js';
import { addApp, authorize, authorizePath, decodeJwt, memberSubject, pkcePair, redeemCode, userinfo } from '../helpers/oauth.js';

// Upper bound for each click, navigation and wait.
const STEP_TIMEOUT_MS = 10000;

let server;
let browser;
let callback;
let callbackUrl;
let member;

// Starts a stand-in for the application that serves a small page at
// /callback and 404 elsewhere.
function startCallbackServer() {
  return new Promise((resolve, reject) => {
    const srv = http.createServer((req, res) => {
      const url = new URL(req.url, 'http://127.0.0.1');
      if (url.pathname !== '/callback') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Callback</title><h1>Back at the application</h1>');
    });
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

before(async () => {
  server = await startServer();
  member = addMember(server, { email: 'bea@example.org', name: 'Bea Browser' });
  callback = await startCallbackServer();
  callbackUrl = `http://127.0.0.1:${callback.address().port}/callback`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    timeout: 30000,
  });
});
after(async () => {
  await browser?.close();
  await new Promise((resolve) => (callback ? callback.close(resolve) : resolve()));
  await server?.stop();
});

async function newPage() {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  const cspViolations = [];
  page.on('console', (message) => {
    if (/Content[ -]Security[ -]Policy/i.test(message.text())) cspViolations.push(`${page.url()}: ${message.text()}`);
  });
  return { context, page, cspViolations };
}

// Waits for 'landing' (a waitForURL promise that resolves to null or the
// error) and fails with any CSP violation the console reported, which can
// arrive shortly after the aborted navigation.
async function assertLanded(page, landing, cspViolations) {
  const error = await landing;
  if (error && cspViolations.length === 0) {
    await page.waitForEvent('console', { timeout: 2000 }).catch(() => {});
  }
  assert.equal(error, null, `the browser did not reach the callback page (${error?.message}); `
    + `CSP violations: ${cspViolations.join(' | ') || 'none reported'}`);
}

test('sign in, allow and redeem', async () => {
  const app = addApp(server, {
    name: 'Loopback App', description: 'Runs on this machine', redirectUris: [callbackUrl], scopes: ['profile', 'email'],
    isPublic: true,
  });
  const { verifier, challenge } = pkcePair();
  const state = 'state with spaces & symbols';
  const { context, page, cspViolations } = await newPage();

  try {
    await page.goto(server.url + authorizePath({
      client_id: app.client_id, redirect_uri: callbackUrl, response_type: 'code', scope: 'openid profile email',
      state, nonce: 'browser-nonce', code_challenge: challenge, code_challenge_method: 'S256',
    }));
    assert.match(page.url(), new RegExp(`^${server.url}/login\\?force=1&return_to=`), 'sent to the sign-in page');

    await page.locator('#email').fill(member.email);
    await page.locator('#password').fill(member.password);
    await Promise.all([
      page.waitForURL(`${server.url}/oauth/authorize/resume?request=**`, { timeout: STEP_TIMEOUT_MS }),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    await page.getByRole('heading', { name: 'Allow Loopback App to use your Orgo account?' })
      .waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    await page.getByText('Your email address and whether it is verified').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });

    const landing = page.waitForURL(`${callbackUrl}?**`, { timeout: STEP_TIMEOUT_MS }).then(() => null, (error) => error);
    await page.getByRole('button', { name: 'Allow' }).click();
    await assertLanded(page, landing, cspViolations);
    await page.getByRole('heading', { name: 'Back at the application' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });

    const landed = new URL(page.url());
    assert.equal(`${landed.origin}${landed.pathname}`, callbackUrl);
    const code = landed.searchParams.get('code');
    assert.match(code, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(landed.searchParams.get('state'), state);
    assert.equal(landed.searchParams.get('iss'), server.url);

    const tokens = await redeemCode(server, app, code, { redirectUri: callbackUrl, verifier, origin: `http://127.0.0.1:${callback.address().port}` });
    assert.equal(tokens.status, 200, tokens.text_);
    assert.equal(tokens.headers.get('access-control-allow-origin'), `http://127.0.0.1:${callback.address().port}`);
    const subject = memberSubject(server, member.email);
    assert.equal(decodeJwt(tokens.json.id_token).payload.nonce, 'browser-nonce');
    assert.equal(decodeJwt(tokens.json.id_token).payload.sub, subject);

    const info = await userinfo(server, tokens.json.access_token);
    assert.equal(info.status, 200, info.text_);
    assert.deepEqual(info.json, {
      sub: subject, name: 'Bea Browser', updated_at: info.json.updated_at, email: member.email, email_verified: true,
    });

    assert.deepEqual(cspViolations, []);
  } finally {
    await context.close();
  }
});

test('sign in with remembered consent', async () => {
  const app = addApp(server, { name: 'Returning App', redirectUris: [callbackUrl], scopes: ['profile'], isPublic: true });
  const returning = addMember(server, { email: 'rita@example.org', name: 'Rita Returning' });
  const params = (challenge) => ({
    client_id: app.client_id, redirect_uri: callbackUrl, response_type: 'code', scope: 'openid profile', state: 'again',
    code_challenge: challenge, code_challenge_method: 'S256',
  });
  // Rita allowed the app before, in another browser session.
  const earlier = await authorize(new Agent(server.url), params(pkcePair().challenge), { member: returning });
  assert.deepEqual(earlier.steps, ['login', 'consent']);

  const { verifier, challenge } = pkcePair();
  const { context, page, cspViolations } = await newPage();
  try {
    await page.goto(server.url + authorizePath(params(challenge)));
    await page.locator('#email').fill(returning.email);
    await page.locator('#password').fill(returning.password);
    const landing = page.waitForURL(`${callbackUrl}?**`, { timeout: STEP_TIMEOUT_MS }).then(() => null, (error) => error);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await assertLanded(page, landing, cspViolations);

    const landed = new URL(page.url());
    assert.equal(landed.searchParams.get('state'), 'again');
    const tokens = await redeemCode(server, app, landed.searchParams.get('code'), { redirectUri: callbackUrl, verifier });
    assert.equal(tokens.status, 200, tokens.text_);
    assert.deepEqual(cspViolations, []);
  } finally {
    await context.close();
  }
});
