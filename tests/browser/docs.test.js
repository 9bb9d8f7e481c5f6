// The documentation page in headless Chromium: no console errors or
// Content-Security-Policy violations, the client_id in the examples, Copy
// buttons that copy the example, nothing wider than a 375-pixel phone, and
// the page's single-page-app code signing a member in for real.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { chromium } from 'playwright-core';
import { startServer } from '../helpers/server.js';
import { addMember } from '../helpers/http.js';
import { addApp } from '../helpers/oauth.js';

// Upper bound for each click, navigation and wait.
const STEP_TIMEOUT_MS = 10000;
const PHONE_WIDTH = 375;
const PLACEHOLDER_REDIRECT = 'https://app.example.com/callback';

let server;
let browser;

before(async () => {
  server = await startServer();
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

// Opens a page that records console errors, uncaught exceptions and CSP
// violations (reported both to the console and as DOM events).
async function openPage(context) {
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  const problems = [];
  page.on('console', (message) => {
    const failedLoad = /^Failed to load resource/.test(message.text());
    if ((message.type() === 'error' && !failedLoad) || /Content[ -]Security[ -]Policy/i.test(message.text())) {
      problems.push(`console ${message.type()}: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  // Chromium requests /favicon.ico from every site, and this server has
  // none. Any other failed response is a problem of the page.
  page.on('response', (response) => {
    if (response.status() >= 400 && new URL(response.url()).pathname !== '/favicon.ico') {
      problems.push(`HTTP ${response.status()}: ${response.url()}`);
    }
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  return { page, problems };
}

test('docs page in the browser', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  const { page, problems } = await openPage(context);

  try {
    const res = await page.goto(`${server.url}/oauth/docs?client_id=abc123`);
    assert.equal(res.status(), 200);
    await page.waitForLoadState('load');

    // The client_id is in the examples, the placeholder nowhere.
    const tokenCurl = (await page.locator('#example-token-curl').textContent()).trim();
    assert.match(tokenCurl, /-u 'abc123:YOUR_CLIENT_SECRET'/);
    assert.match(await page.locator('#example-authorize-url').textContent(), /client_id=abc123&/);
    assert.match(await page.locator('#example-spa-start').textContent(), /client_id: 'abc123'/);
    assert.equal((await page.locator('main').textContent()).includes('YOUR_CLIENT_ID'), false);
    assert.equal(await page.getByText('The examples use the client_id').isVisible(), true);
    assert.equal(await page.getByText('The examples use the placeholder').isVisible(), false);

    // docs.css applies: code headers are flex rows, the diagram has 8 arrows.
    assert.equal(await page.locator('.code-head').first().evaluate((e) => getComputedStyle(e).display), 'flex');
    assert.equal(await page.locator('.flow-diagram .arrows li').count(), 8);

    // A Copy button copies the text of its code block.
    const button = page.locator('button[data-copy="example-token-curl"]');
    await button.click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), tokenCurl);
    assert.equal((await button.textContent()).trim(), 'Copied');

    // Every Copy button names an element that exists.
    const targets = await page.locator('button[data-copy]').evaluateAll(
      (buttons) => buttons.map((b) => [b.dataset.copy, document.getElementById(b.dataset.copy) !== null]));
    assert.ok(targets.length >= 15, `the page has Copy buttons (${targets.length})`);
    for (const [id, found] of targets) assert.equal(found, true, `Copy target #${id} exists`);

    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('docs page fits a phone', async () => {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true, viewport: { width: PHONE_WIDTH, height: 800 }, isMobile: true, hasTouch: true,
  });
  const { page, problems } = await openPage(context);

  try {
    await page.goto(`${server.url}/oauth/docs?client_id=abc123`);
    await page.waitForLoadState('load');

    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= PHONE_WIDTH, `page is ${width} px wide`);

    // Elements that stick out on their own, to name the culprit if any.
    const wide = await page.evaluate((limit) => [...document.querySelectorAll('main *')]
      .filter((e) => e.getBoundingClientRect().right > limit + 0.5 && !e.closest('pre'))
      .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`), PHONE_WIDTH);
    assert.deepEqual(wide, []);

    // Every Copy button is on screen horizontally.
    for (const box of await page.locator('button[data-copy]').evaluateAll(
      (buttons) => buttons.map((b) => b.getBoundingClientRect().right))) {
      assert.ok(box <= PHONE_WIDTH, `a Copy button ends at ${box} px`);
    }
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

// Serves the application's redirect URI on 127.0.0.1: a blank page that
// the test fills with the code from the docs page.
function startAppServer() {
  return new Promise((resolve, reject) => {
    const srv = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>App</title><h1>Application</h1>');
    });
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

test('documented SPA code signs in', async () => {
  const app = await startAppServer();
  const appUrl = `http://127.0.0.1:${app.address().port}`;
  const redirectUri = `${appUrl}/callback`;
  const spa = addApp(server, { name: 'Docs SPA', redirectUris: [redirectUri], scopes: ['profile', 'email'], isPublic: true });
  const member = addMember(server, { email: 'spa@example.org', name: 'Sam Spa' });
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const { page, problems } = await openPage(context);

  try {
    await page.goto(`${server.url}/oauth/docs?client_id=${spa.client_id}`);
    const code = async (id) => (await page.locator(`#${id}`).textContent()).replaceAll(PLACEHOLDER_REDIRECT, redirectUri);
    const start = await code('example-spa-start');
    const callback = await code('example-spa-callback');
    const userinfo = await code('example-spa-userinfo');

    // Step 1 from the application's origin: signIn() leaves for Orgo.
    await page.goto(`${appUrl}/`);
    const leaving = page.waitForURL((url) => url.href.startsWith(`${server.url}/login`));
    await page.evaluate(`${start}\nsignIn();`);
    await leaving;
    await page.locator('#email').fill(member.email);
    await page.locator('#password').fill(member.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const landing = page.waitForURL((url) => url.href.startsWith(redirectUri)).then(() => null, (error) => error);
    await page.getByRole('button', { name: 'Allow' }).click();
    const error = await landing;
    assert.equal(error, null, `the browser stayed at ${page.url()} (${error?.message}); ${problems.join(' | ')}`);

    // Steps 2 and 3 with fetch() across origins, as printed on the page.
    const result = await page.evaluate(`(async () => {
      ${callback}
      const tokens = await finishSignIn();
      ${userinfo}
      return { tokens, member };
    })()`);
    assert.equal(result.tokens.token_type, 'Bearer');
    assert.equal(result.tokens.scope, 'openid profile email');
    assert.equal(typeof result.tokens.id_token, 'string');
    assert.equal(result.member.name, 'Sam Spa');
    assert.equal(result.member.email, 'spa@example.org');

    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    app.close();
  }
});
