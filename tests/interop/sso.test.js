// Single sign-on across two server-side relying parties built with
// openid-client 6: an internal wiki and a project manager, each a small
// node:http app on 127.0.0.1. Headless Chromium signs in once at the
// wiki, and the project manager then shows only the consent page. Both
// apps see the same subject, and signing out at the wiki ends the session
// for both.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { chromium } from 'playwright-core';
import * as client from 'openid-client';
import { startServer } from '../helpers/server.js';
import { addMember, orgoctl } from '../helpers/http.js';

// Upper bound for each click, navigation and wait in the browser.
const STEP_TIMEOUT_MS = 10000;
const TEST_TIMEOUT_MS = 120000;
// Seconds for each HTTP request that openid-client makes.
const LIBRARY_TIMEOUT_S = 10;

let server;
let member;
let memberRow;
let wiki;
let projects;
let browser;
let context;
let tab;
// Main-frame URLs the browser visited, reset by each step.
let visited = [];

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function parseCookies(header = '') {
  return Object.fromEntries(header.split(';').map((part) => part.trim().split('=')).filter((kv) => kv.length === 2));
}

/*
 * Starts a relying party: GET /login starts the code flow with PKCE, state
 * and nonce, GET /callback finishes it, GET / shows the signed-in member,
 * GET /logout starts RP-initiated logout. Sessions live in memory under a
 * cookie named after the app, because cookies on 127.0.0.1 are shared by
 * every port.
 */
async function startRelyingParty({ name, cookieName, scope, clientAuth }) {
  const pending = new Map();
  const sessions = new Map();
  const rp = { name, scope, sessions };

  const httpServer = http.createServer(async (req, res) => {
    const url = new URL(req.url, rp.origin);
    const cookies = parseCookies(req.headers.cookie);
    const session = sessions.get(cookies[cookieName]);
    const send = (status, body, headers = {}) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
      res.end(body);
    };
    try {
      if (url.pathname === '/login') {
        const flow = { verifier: client.randomPKCECodeVerifier(), state: client.randomState(), nonce: client.randomNonce() };
        pending.set(flow.state, flow);
        const target = client.buildAuthorizationUrl(rp.config, {
          redirect_uri: `${rp.origin}/callback`, scope, state: flow.state, nonce: flow.nonce,
          code_challenge: await client.calculatePKCECodeChallenge(flow.verifier), code_challenge_method: 'S256',
        });
        send(302, '', { location: target.href });
      } else if (url.pathname === '/callback') {
        const flow = pending.get(url.searchParams.get('state'));
        if (!flow) throw new Error('no sign-in is pending for this state: start again at /login');
        pending.delete(flow.state);
        const tokens = await client.authorizationCodeGrant(rp.config, url, {
          pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true,
        });
        const claims = tokens.claims();
        const userinfo = await client.fetchUserInfo(rp.config, tokens.access_token, claims.sub);
        const id = crypto.randomBytes(16).toString('hex');
        sessions.set(id, { claims, userinfo: { ...userinfo }, idToken: tokens.id_token });
        send(302, '', { location: '/', 'set-cookie': `${cookieName}=${id}; Path=/; HttpOnly; SameSite=Lax` });
      } else if (url.pathname === '/logout' && session) {
        sessions.delete(cookies[cookieName]);
        const target = client.buildEndSessionUrl(rp.config, {
          id_token_hint: session.idToken, post_logout_redirect_uri: `${rp.origin}/`,
        });
        send(302, '', { location: target.href, 'set-cookie': `${cookieName}=; Path=/; Max-Age=0` });
      } else if (url.pathname === '/') {
        const body = session
          ? `<p id="sub">${escapeHtml(session.claims.sub)}</p><pre id="userinfo">${escapeHtml(JSON.stringify(session.userinfo))}</pre>`
          : '<p id="signed-out">Not signed in</p>';
        send(200, `<!doctype html><html lang="en"><title>${escapeHtml(name)}</title><h1>${escapeHtml(name)}</h1>${body}</html>`);
      } else {
        send(404, 'not found');
      }
    } catch (error) {
      send(500, `<!doctype html><p id="error">${escapeHtml(name)}: ${escapeHtml(error.message)}</p>`);
    }
  });
  await new Promise((resolve, reject) => {
    httpServer.on('error', reject);
    httpServer.listen(0, '127.0.0.1', resolve);
  });
  rp.httpServer = httpServer;
  rp.origin = `http://127.0.0.1:${httpServer.address().port}`;

  const args = ['app', 'add', '--name', name, '--redirect-uri', `${rp.origin}/callback`,
    '--post-logout-redirect-uri', `${rp.origin}/`, '--json'];
  for (const s of ['profile', 'email', 'groups', 'roles']) args.push('--scope', s);
  rp.app = JSON.parse(orgoctl(server, args));
  rp.config = await client.discovery(new URL(server.url), rp.app.client_id, undefined, clientAuth(rp.app.client_secret), {
    timeout: LIBRARY_TIMEOUT_S,
    execute: [client.enableNonRepudiationChecks],
  });
  return rp;
}

// Opens the app's /login and follows the browser until it is back on the
// app's front page. It signs in and allows access when told to expect
// the sign-in and consent pages, and times out on a page it did not expect.
async function signInAt(rp, { expectPassword, expectConsent }) {
  visited = [];
  await tab.goto(`${rp.origin}/login`);

  if (expectPassword) {
    await tab.waitForURL(`${server.url}/login?**`, { timeout: STEP_TIMEOUT_MS });
    await tab.locator('#email').fill(member.email);
    await tab.locator('#password').fill(member.password);
    await tab.locator('form[action="/login"] button[type="submit"]').click();
  }
  if (expectConsent) {
    const allow = tab.locator('button[name="decision"][value="allow"]');
    await allow.waitFor({ timeout: STEP_TIMEOUT_MS });
    assert.match(await tab.locator('h1').textContent(), new RegExp(`Allow ${rp.name}`));
    await allow.click();
  }
  await tab.waitForURL(`${rp.origin}/`, { timeout: STEP_TIMEOUT_MS });
  const error = await tab.locator('#error').count();
  assert.equal(error, 0, await tab.locator('body').innerText());

  return {
    sub: await tab.locator('#sub').textContent(),
    userinfo: JSON.parse(await tab.locator('#userinfo').textContent()),
    passwordPages: visited.filter((u) => u.startsWith(`${server.url}/login`)).length,
    consentPages: visited.filter((u) => u.startsWith(`${server.url}/oauth/authorize`)).length,
  };
}

before(async () => {
  server = await startServer();
  member = addMember(server, {
    email: 'dana@example.org', name: 'Dana Scully', roles: ['ADMIN_TENANT'], groups: ['Research'],
  });
  memberRow = (await server.query(
    'SELECT subject, floor(extract(epoch FROM updated_at))::bigint AS updated_at FROM members WHERE email = $1',
    [member.email],
  )).rows[0];
  memberRow.updated_at = Number(memberRow.updated_at);

  wiki = await startRelyingParty({
    name: 'Internal Wiki', cookieName: 'wiki_session', scope: 'openid profile email groups',
    clientAuth: client.ClientSecretBasic,
  });
  projects = await startRelyingParty({
    name: 'Project Manager', cookieName: 'projects_session', scope: 'openid profile roles',
    clientAuth: client.ClientSecretPost,
  });

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    timeout: 30000,
  });
  context = await browser.newContext({ ignoreHTTPSErrors: true });
  tab = await context.newPage();
  tab.setDefaultTimeout(STEP_TIMEOUT_MS);
  tab.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  tab.on('framenavigated', (frame) => {
    if (frame === tab.mainFrame()) visited.push(frame.url());
  });
});
after(async () => {
  await context?.close();
  await browser?.close();
  await Promise.all([wiki, projects].map((rp) => new Promise((resolve) => (rp ? rp.httpServer.close(resolve) : resolve()))));
  await server?.stop();
});

test('first app requires the password', { timeout: TEST_TIMEOUT_MS }, async () => {
  const result = await signInAt(wiki, { expectPassword: true, expectConsent: true });

  assert.equal(result.passwordPages, 1);
  assert.equal(result.consentPages, 1);
  assert.equal(result.sub, memberRow.subject);
  assert.deepEqual(result.userinfo, {
    sub: memberRow.subject,
    name: 'Dana Scully',
    updated_at: memberRow.updated_at,
    email: 'dana@example.org',
    email_verified: true,
    groups: ['Research'],
  });
});

test('second app needs only consent', { timeout: TEST_TIMEOUT_MS }, async () => {
  const result = await signInAt(projects, { expectPassword: false, expectConsent: true });

  assert.equal(result.passwordPages, 0, `no sign-in page, visited: ${visited.join(' ')}`);
  assert.equal(result.consentPages, 1);
  assert.equal(result.sub, memberRow.subject);
  assert.deepEqual(result.userinfo, {
    sub: memberRow.subject,
    name: 'Dana Scully',
    updated_at: memberRow.updated_at,
    roles: ['ADMIN_TENANT', 'MEMBER'],
  });
});

test('both apps see the same subject', { timeout: TEST_TIMEOUT_MS }, () => {
  const [wikiSession] = wiki.sessions.values();
  const [projectsSession] = projects.sessions.values();

  assert.equal(wikiSession.claims.sub, projectsSession.claims.sub);
  assert.equal(wikiSession.claims.aud, wiki.app.client_id);
  assert.equal(projectsSession.claims.aud, projects.app.client_id);
  // One sign-in: both ID tokens carry its time.
  assert.equal(wikiSession.claims.auth_time, projectsSession.claims.auth_time);
});

test('consented app signs in directly', { timeout: TEST_TIMEOUT_MS }, async () => {
  const result = await signInAt(projects, { expectPassword: false, expectConsent: false });

  assert.equal(result.passwordPages, 0, `visited: ${visited.join(' ')}`);
  assert.equal(result.consentPages, 0, `visited: ${visited.join(' ')}`);
  assert.equal(result.sub, memberRow.subject);
  // The server responded to /oauth/authorize with a redirect at once, so
  // the browser never showed a page of the server.
  assert.deepEqual(visited.filter((u) => u.startsWith(server.url)), []);
});

test('logout at one app ends the shared session', { timeout: TEST_TIMEOUT_MS }, async () => {
  visited = [];
  await tab.goto(`${wiki.origin}/logout`);
  await tab.waitForURL(`${wiki.origin}/`, { timeout: STEP_TIMEOUT_MS });
  await tab.locator('#signed-out').waitFor({ timeout: STEP_TIMEOUT_MS });

  // The server's session is gone, so a new sign-in at the project manager
  // requires the password again.
  const result = await signInAt(projects, { expectPassword: true, expectConsent: false });
  assert.equal(result.passwordPages, 1);
  assert.equal(result.consentPages, 0, 'consent is remembered across sessions');
  assert.equal(result.sub, memberRow.subject);
});
