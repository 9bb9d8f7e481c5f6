// OAuth applications in a real browser: headless Chromium signs in as an
// administrator and creates, edits, rotates and deletes an application
// through the pages, without any Content-Security-Policy violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { chromium } from 'playwright-core';
import { startServer } from '../helpers/server.js';
import { addMember } from '../helpers/http.js';

const BASE = '/settings/developers/oauth-applications';
// Upper bound for each click, navigation and wait.
const STEP_TIMEOUT_MS = 10000;

let server;
let browser;
let admin;

before(async () => {
  server = await startServer();
  admin = addMember(server, { email: 'admin@example.org', name: 'Ada Admin', roles: ['ADMIN_TENANT'] });
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

const sha256 = (s) => crypto.createHash('sha256').update(s).digest('hex');

async function clientRow(clientId) {
  return (await server.query('SELECT * FROM clients WHERE client_id = $1', [clientId])).rows[0];
}

// Clicks, waits for the page that the click opens and checks its URL. A
// form may post to the URL it is on, so the wait is for a new navigation.
async function clickAndWait(page, locator, url) {
  const navigated = page.waitForEvent('framenavigated', {
    predicate: (frame) => frame === page.mainFrame(),
    timeout: STEP_TIMEOUT_MS,
  });
  await locator.click();
  await navigated;
  await page.waitForLoadState('load', { timeout: STEP_TIMEOUT_MS });
  if (page.url() !== url) {
    const alerts = await page.locator('[role="alert"]:visible, main p:visible').allTextContents();
    assert.fail(`expected ${url} after the click, got ${page.url()} showing: ${alerts.join(' | ').trim()}`);
  }
}

async function assertVisibleText(page, text) {
  await page.getByText(text).first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
}

test('admin manages an application in the browser', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);

  const cspViolations = [];
  const pageErrors = [];
  page.on('console', (message) => {
    if (/Content[ -]Security[ -]Policy/i.test(message.text())) {
      cspViolations.push(`${page.url()}: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));

  try {
    // Sign in.
    await page.goto(`${server.url}/login`);
    await page.locator('#email').fill(admin.email);
    await page.locator('#password').fill(admin.password);
    await clickAndWait(page, page.getByRole('button', { name: 'Sign in' }), `${server.url}/settings`);

    // Settings → Developers → OAuth Applications.
    await clickAndWait(page, page.getByRole('link', { name: 'Developers', exact: true }), `${server.url}/settings/developers`);
    await clickAndWait(page, page.locator('main').getByRole('link', { name: 'OAuth Applications' }), `${server.url}${BASE}`);
    await assertVisibleText(page, 'No application is registered yet.');
    await clickAndWait(page, page.getByRole('link', { name: 'Create Application' }), `${server.url}${BASE}/new`);

    // Create a confidential application.
    await page.locator('#name').fill('Browser App');
    await page.locator('#description').fill('Made in Chromium');
    await page.locator('#redirect_uris').fill('https://browser.example.com/callback\nhttp://localhost:5173/callback');
    await page.getByRole('checkbox', { name: /^profile/ }).check();
    await page.getByRole('checkbox', { name: /^email/ }).check();
    await page.getByRole('radio', { name: /^Confidential/ }).check();
    await clickAndWait(page, page.getByRole('button', { name: 'Create Application' }), `${server.url}${BASE}/new`);

    await assertVisibleText(page, 'Application created');
    const clientId = (await page.locator('#client-id').textContent()).trim();
    const secret = (await page.locator('#client-secret').textContent()).trim();
    assert.match(clientId, /^[A-Za-z0-9_-]{22}$/);
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(await page.locator('#client-secret').isVisible(), true, 'the secret is visible');

    let row = await clientRow(clientId);
    assert.equal(row.name, 'Browser App');
    assert.equal(row.description, 'Made in Chromium');
    assert.deepEqual(row.redirect_uris, ['https://browser.example.com/callback', 'http://localhost:5173/callback']);
    assert.equal(row.allowed_scopes, 'openid profile email');
    assert.equal(row.secret_hash, sha256(secret));

    // The copy button next to the secret puts it on the clipboard.
    await page.locator('button[data-copy="client-secret"]').click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);

    // Edit the redirect URIs on the detail page.
    await clickAndWait(page, page.getByRole('link', { name: 'Continue to the application' }), `${server.url}${BASE}/${clientId}`);
    assert.equal(await page.content().then((html) => html.includes(secret)), false, 'the secret is not shown again');
    assert.equal(await page.locator(`a[href="/oauth/docs?client_id=${clientId}"]`).count(), 1);

    const tokenRow = page.locator('tr', { has: page.locator('th', { hasText: 'Token endpoint' }) });
    assert.equal((await tokenRow.locator('code').textContent()).trim(), `${server.url}/oauth/token`);
    await tokenRow.getByRole('button', { name: 'Copy' }).click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `${server.url}/oauth/token`,
      'the copy button copies the token endpoint');

    await page.locator('#redirect_uris').fill('https://browser.example.com/new-callback');
    await clickAndWait(page, page.getByRole('button', { name: 'Save changes' }), `${server.url}${BASE}/${clientId}?saved=1`);
    await assertVisibleText(page, 'Changes saved.');
    assert.equal(await page.locator('#redirect_uris').inputValue(), 'https://browser.example.com/new-callback');
    row = await clientRow(clientId);
    assert.deepEqual(row.redirect_uris, ['https://browser.example.com/new-callback']);
    assert.equal(row.secret_hash, sha256(secret), 'saving keeps the secret');

    // Rotate the secret through its confirmation page.
    await clickAndWait(page, page.getByRole('link', { name: 'Rotate secret…' }), `${server.url}${BASE}/${clientId}/rotate-secret`);
    await assertVisibleText(page, 'Rotate client secret?');
    assert.equal((await clientRow(clientId)).secret_hash, sha256(secret), 'the confirmation page changes nothing');
    await clickAndWait(page, page.getByRole('button', { name: 'Rotate secret' }), `${server.url}${BASE}/${clientId}/rotate-secret`);
    await assertVisibleText(page, 'New client secret');
    const newSecret = (await page.locator('#client-secret').textContent()).trim();
    assert.match(newSecret, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(newSecret, secret);
    assert.equal((await clientRow(clientId)).secret_hash, sha256(newSecret));

    // Delete the application through its confirmation page.
    await clickAndWait(page, page.getByRole('link', { name: 'Continue to the application' }), `${server.url}${BASE}/${clientId}`);
    await clickAndWait(page, page.getByRole('link', { name: 'Delete application…' }), `${server.url}${BASE}/${clientId}/delete`);
    await assertVisibleText(page, 'Delete application?');
    assert.ok(await clientRow(clientId), 'the confirmation page deletes nothing');
    await clickAndWait(page, page.getByRole('button', { name: 'Delete application' }), `${server.url}${BASE}?deleted=1`);
    await assertVisibleText(page, 'The application was deleted.');
    await assertVisibleText(page, 'No application is registered yet.');
    assert.equal(await page.locator('table').isVisible(), false, 'the empty table is hidden');
    assert.equal(await clientRow(clientId), undefined);
  } finally {
    await context.close();
  }

  assert.deepEqual(cspViolations, [], 'no Content-Security-Policy violations');
  assert.deepEqual(pageErrors, [], 'no script errors');
});
