// Members in a real browser: headless Chromium signs in through the sign-in
// form as an administrator, opens Settings → Members, creates a member,
// renames it and finds the new name in the list, without any
// Content-Security-Policy violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startServer } from '../helpers/server.js';
import { Agent, addMember } from '../helpers/http.js';

const BASE = '/settings/members';
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

// Clicks, waits for the page that the click opens and checks its URL. A
// form may post to the URL it is on, so the wait is for a new navigation.
async function clickAndWait(page, locator, url) {
  const navigated = page.waitForEvent('framenavigated', {
    predicate: (frame) => frame === page.mainFrame(),
    timeout: STEP_TIMEOUT_MS,
  });
  await locator.click({ timeout: STEP_TIMEOUT_MS });
  await navigated;
  await page.waitForLoadState('load', { timeout: STEP_TIMEOUT_MS });
  if (page.url() !== url) {
    // Name the page that was reached and the message it shows.
    const alerts = await page.locator('[role="alert"]:not(.hidden)').allTextContents();
    assert.fail(`expected ${url}, reached ${page.url()} (${await page.title()}), alerts: ${JSON.stringify(alerts)}`);
  }
}

async function assertVisibleText(page, text) {
  await page.getByText(text).first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
}

test('admin creates and renames a member', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
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

  let password;
  try {
    // Sign in through the real form.
    await page.goto(`${server.url}/login`);
    await page.locator('#email').fill(admin.email);
    await page.locator('#password').fill(admin.password);
    await clickAndWait(page, page.getByRole('button', { name: 'Sign in' }), `${server.url}/settings`);

    // Settings → Members → Add member.
    await clickAndWait(page, page.getByRole('link', { name: 'Members', exact: true }), `${server.url}${BASE}`);
    await assertVisibleText(page, 'Showing 1 to 1 of 1 member.');
    await clickAndWait(page, page.getByRole('link', { name: 'Add member' }), `${server.url}${BASE}/new`);
    assert.equal(await page.getByLabel('Roles').inputValue(), 'MEMBER');

    await page.getByLabel('Email', { exact: true }).fill('browser.person@example.org');
    await page.getByLabel('Name').fill('Browser Person');
    await page.getByLabel('Picture URL').fill('https://example.org/browser.png');
    await page.getByRole('checkbox', { name: 'Email verified' }).check();
    await page.getByLabel('Groups').fill('Design, QA');
    await clickAndWait(page, page.getByRole('button', { name: 'Create member' }), `${server.url}${BASE}/new`);

    await assertVisibleText(page, 'Member created');
    password = (await page.locator('#member-password').textContent()).trim();
    assert.match(password, /^[a-km-zA-HJ-NP-Z2-9]{20}$/);
    const row = (await server.query('SELECT id, name, email_verified FROM members WHERE email_key = $1',
      ['browser.person@example.org'])).rows[0];
    assert.equal(row.name, 'Browser Person');
    assert.equal(row.email_verified, true);

    // Rename the member on its edit page.
    await clickAndWait(page, page.getByRole('link', { name: 'Continue to the member' }), `${server.url}${BASE}/${row.id}`);
    assert.equal(await page.getByLabel('Name').inputValue(), 'Browser Person');
    assert.equal(await page.getByLabel('Groups').inputValue(), 'Design, QA');
    await page.getByLabel('Name').fill('Renamed Person');
    await clickAndWait(page, page.getByRole('button', { name: 'Save changes' }), `${server.url}${BASE}/${row.id}?saved=1`);
    await assertVisibleText(page, 'Changes saved.');

    // The list shows the new name, linked to the member.
    await clickAndWait(page, page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Members' }),
      `${server.url}${BASE}`);
    const link = page.getByRole('link', { name: 'Renamed Person' });
    await link.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    assert.equal(await link.getAttribute('href'), `${BASE}/${row.id}`);
    assert.equal(await page.getByRole('link', { name: 'Browser Person' }).count(), 0);

    // Search narrows the list to the member.
    await page.getByLabel('Search by name or email').fill('RENAMED');
    await clickAndWait(page, page.getByRole('button', { name: 'Search' }), `${server.url}${BASE}?q=RENAMED`);
    await assertVisibleText(page, 'Showing 1 to 1 of 1 member.');

    assert.deepEqual(cspViolations, []);
    assert.deepEqual(pageErrors, []);
  } finally {
    await context.close();
  }

  // The generated password signs the new member in.
  const status = (await new Agent(server.url).signIn('browser.person@example.org', password)).status;
  assert.equal(status, 303);
});
