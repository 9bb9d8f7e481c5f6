// The documentation page at /oauth/docs against the real server: every URL
// on it answers as the page documents, role names and lifetimes come from this
// deployment, ?client_id fills the examples without reflecting anything
// else, and the curl commands on the page work as printed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { startServer } from '../helpers/server.js';
import { Agent, addMember, orgoctl } from '../helpers/http.js';
import { addApp, authorize } from '../helpers/oauth.js';

const run = promisify(execFile);
const CA_FILE = path.join(process.env.ORGO_TEST_TMP ?? '', 'certs/ca.pem');
// The placeholders the page's examples use, replaced by real values here.
const PLACEHOLDER_REDIRECT = 'https://app.example.com/callback';
const WIKI_CB = 'https://wiki.example.org/cb';
const PICTURE = 'https://pictures.example.org/carla.png';

let server;

before(async () => {
  // An empty value falls back to the product's default rate limit (50).
  server = await startServer({ env: { ORGO_TOKEN_RATE_LIMIT: '' } });
});
after(async () => server?.stop());

async function getDocs(target, query = '') {
  const res = await fetch(`${target.url}/oauth/docs${query}`, { redirect: 'manual' });
  const html = await res.text();
  return { res, html };
}

function decodeEntities(text) {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

// The text of the element with id 'id', as a browser's textContent gives it.
function textOf(html, id) {
  const m = new RegExp(`<([a-z]+)[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</\\1>`).exec(html);
  assert.ok(m, `the page has an element with id="${id}"`);
  return decodeEntities(m[2].replace(/<[^>]*>/g, ''));
}

// The endpoint URLs of the Endpoints table, by data-endpoint name.
function endpointUrls(html) {
  const urls = {};
  for (const m of html.matchAll(/<tr data-endpoint="([a-z-]+)">[\s\S]*?<code id="url-\1">([^<]*)<\/code>/g)) {
    urls[m[1]] = decodeEntities(m[2]);
  }
  return urls;
}

// Whether the paragraph that contains 'text' has the class "hidden".
function paragraphHidden(html, text) {
  const at = html.indexOf(text);
  assert.notEqual(at, -1, `the page contains "${text}"`);
  const open = html.lastIndexOf('<p class="', at);
  return /class="([^"]*)"/.exec(html.slice(open))[1].split(/\s+/).includes('hidden');
}

// Claim names of each scope in the "Scopes and claims" table.
function scopeClaims(html) {
  const claims = {};
  for (const m of html.matchAll(/<tr><th scope="row"><code>([a-z_]+)<\/code><\/th><td data-label="Claims">([\s\S]*?)<p/g)) {
    claims[m[1]] = [...m[2].matchAll(/<code>([a-z_]+)<\/code>/g)].map((c) => c[1]);
  }
  return claims;
}

// Splits a command as printed on the page into arguments: words, single
// quoted strings and backslash-newline continuations. Anything else that a
// shell would treat specially fails the test, so the page keeps its
// commands simple enough to paste into any shell.
function shellWords(command) {
  const words = [];
  let word = null;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (c === '\\' && command[i + 1] === '\n') {
      i++;
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1);
      assert.notEqual(end, -1, `unclosed quote in: ${command}`);
      word = (word ?? '') + command.slice(i + 1, end);
      i = end;
    } else if (c === ' ' || c === '\n') {
      if (word !== null) words.push(word);
      word = null;
    } else {
      assert.ok(!'"$`\\;&|<>()*?!#~'.includes(c), `shell character ${c} outside quotes in: ${command}`);
      word = (word ?? '') + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

// Runs a curl command from the page with /usr/bin/curl, after replacing
// its placeholders. Returns the HTTP status and the parsed JSON body.
async function runCurl(command, replacements) {
  let text = command;
  for (const [placeholder, value] of Object.entries(replacements)) text = text.replaceAll(placeholder, value);
  const words = shellWords(text);
  assert.equal(words[0], 'curl', `the command starts with curl: ${command}`);
  const { stdout } = await run('/usr/bin/curl',
    ['--cacert', CA_FILE, '--silent', '--show-error', '--write-out', '\n%{http_code}', ...words.slice(1)],
    { env: { PATH: process.env.PATH } });
  const lines = stdout.trimEnd().split('\n');
  const status = Number(lines.pop());
  return { status, json: JSON.parse(lines.join('\n')) };
}

// Sends 'member' through the authorization URL of the page with the real
// redirect URI and returns the code.
async function codeFromDocumentedUrl(html, member, { scope } = {}) {
  const url = new URL(textOf(html, 'example-authorize-url')
    .replace(encodeURIComponent(PLACEHOLDER_REDIRECT), encodeURIComponent(WIKI_CB)));
  assert.equal(`${url.origin}${url.pathname}`, endpointUrls(html).authorize);
  const state = crypto.randomBytes(16).toString('base64url');
  const params = { ...Object.fromEntries(url.searchParams), state };
  if (scope) params.scope = scope;
  const result = await authorize(new Agent(server.url), params, { member });
  assert.equal(result.state, state, 'state comes back unchanged');
  assert.equal(result.iss, server.url, 'iss is the issuer, as the page says');
  return result.code;
}

test('page renders for anyone', async () => {
  const { res, html } = await getDocs(server);

  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  assert.match(res.headers.get('content-security-policy'), /script-src 'self'/);
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
  assert.match(html, /<h1>Sign in with Orgo: OAuth 2.0 and OpenID Connect<\/h1>/);
  assert.match(html, /<link rel="stylesheet" href="\/assets\/docs.css">/);
  for (const m of html.matchAll(/<script\b[^>]*>/g)) {
    assert.match(m[0], /\bsrc="\/assets\//, `no inline script: ${m[0]}`);
  }
  assert.doesNotMatch(html, /\son[a-z]+="/, 'no inline event handlers');
});

test('stylesheet is served', async () => {
  const res = await fetch(`${server.url}/assets/docs.css`);

  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/css/);
  assert.match(await res.text(), /\.flow-diagram/);
});

test('endpoint URLs match discovery', async () => {
  const { html } = await getDocs(server);
  const urls = endpointUrls(html);
  const discovery = await (await fetch(urls['openid-configuration'])).json();
  const metadata = await (await fetch(urls['oauth-authorization-server'])).json();

  assert.equal(textOf(html, 'issuer'), server.url);
  assert.deepEqual(Object.keys(urls).sort(), ['authorize', 'device', 'device-authorization', 'introspect', 'jwks',
    'logout', 'oauth-authorization-server', 'openid-configuration', 'revoke', 'token', 'userinfo']);
  assert.equal(discovery.issuer, server.url);
  assert.equal(urls.authorize, discovery.authorization_endpoint);
  assert.equal(urls.token, discovery.token_endpoint);
  assert.equal(urls.userinfo, discovery.userinfo_endpoint);
  assert.equal(urls.jwks, discovery.jwks_uri);
  assert.equal(urls.revoke, discovery.revocation_endpoint);
  assert.equal(urls.introspect, discovery.introspection_endpoint);
  assert.equal(urls.logout, discovery.end_session_endpoint);
  assert.equal(urls['device-authorization'], discovery.device_authorization_endpoint);
  assert.equal(urls.device, `${server.url}/device`);
  assert.equal(urls['openid-configuration'], `${server.url}/.well-known/openid-configuration`);
  assert.equal(urls['oauth-authorization-server'], `${server.url}/.well-known/oauth-authorization-server`);
  assert.deepEqual(metadata, discovery);
  assert.equal(discovery.service_documentation, `${server.url}/oauth/docs`);
});

test('every endpoint answers as documented', async () => {
  const { html } = await getDocs(server);
  const urls = endpointUrls(html);
  const post = (url) => fetch(url, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=authorization_code&code=x',
  });

  // Authorization: a browser endpoint; without a client it shows a page.
  let res = await fetch(urls.authorize, { redirect: 'manual' });
  assert.equal(res.status, 400);
  assert.match(res.headers.get('content-type'), /^text\/html/);

  // Token, revocation, introspection: POST with client authentication.
  for (const name of ['token', 'revoke', 'introspect']) {
    res = await post(urls[name]);
    assert.equal(res.status, 401, `${name} without credentials`);
    assert.equal((await res.json()).error, 'invalid_client', `${name} error`);
    res = await fetch(urls[name]);
    assert.equal(res.status, 405, `${name} answers GET with 405`);
  }

  // UserInfo: GET or POST with a bearer token.
  res = await fetch(urls.userinfo);
  assert.equal(res.status, 401);
  assert.match(res.headers.get('www-authenticate'), /^Bearer /);

  // JWKS and both discovery documents: public JSON.
  res = await fetch(urls.jwks);
  assert.equal(res.status, 200);
  const jwks = await res.json();
  assert.ok(jwks.keys.length >= 1, 'the JWKS has a key');
  assert.equal(jwks.keys[0].kty, 'RSA');
  for (const name of ['openid-configuration', 'oauth-authorization-server']) {
    res = await fetch(urls[name]);
    assert.equal(res.status, 200, name);
    assert.equal((await res.json()).issuer, server.url, `${name} issuer`);
  }

  // Device flow: the endpoint needs client authentication, the page a
  // signed-in member.
  res = await post(urls['device-authorization']);
  assert.equal(res.status, 401, 'device authorization without credentials');
  assert.equal((await res.json()).error, 'invalid_client');
  res = await fetch(urls.device, { redirect: 'manual' });
  assert.equal(res.status, 303);
  assert.match(res.headers.get('location'), /^\/login\?/);

  // Logout: a browser endpoint; without a session it shows "Signed out".
  res = await fetch(urls.logout, { redirect: 'manual' });
  assert.equal(res.status, 200);
  assert.match(await res.text(), /Signed out/);
});

test('page links only documented paths', async () => {
  const { html } = await getDocs(server);
  const documented = new Set(Object.values(endpointUrls(html)).map((u) => new URL(u).pathname));
  const escaped = server.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const found = [...decodeEntities(html).matchAll(new RegExp(`${escaped}(/[^\\s'"<?)]*)?`, 'g'))];

  assert.ok(found.length > 20, `the examples use the issuer (${found.length} URLs)`);
  for (const m of found) {
    if (m[1] === undefined) continue;
    assert.ok(documented.has(m[1]), `${m[0]} is one of the documented endpoints`);
  }
  assert.doesNotMatch(html, /https:\/\/localhost:8443/, 'no URL of another deployment');
});

test('role names come from the database', async () => {
  let { html } = await getDocs(server);
  assert.doesNotMatch(html, /PROJECT_MANAGER/);

  orgoctl(server, ['member', 'add', '--email', 'pm@example.org', '--name', 'Pat Manager', '--role', 'PROJECT_MANAGER',
    '--password-stdin'], 'some long password\n');
  ({ html } = await getDocs(server));
  const roles = (await server.query('SELECT name FROM roles ORDER BY name')).rows.map((r) => r.name);
  const listed = [...textOf(html, 'role-list').matchAll(/\S+/g)].map((m) => m[0]);
  const mapping = textOf(html, 'example-roles');
  const example = JSON.parse(textOf(html, 'example-userinfo-response'));

  assert.ok(roles.includes('PROJECT_MANAGER'));
  assert.deepEqual(listed, roles);
  for (const role of roles) assert.match(mapping, new RegExp(`^  ${role}: \\[\\],$`, 'm'), `${role} in the mapping`);
  assert.deepEqual(example.roles, roles.slice(0, 2));
  assert.equal(paragraphHidden(html, 'No roles are defined yet.'), true);
});

test('lifetimes follow the defaults', async () => {
  const { html } = await getDocs(server);

  assert.equal(textOf(html, 'lifetime-access'), '10 minutes (600 seconds)');
  assert.equal(textOf(html, 'lifetime-code'), '1 minute, one use');
  assert.match(textOf(html, 'lifetime-refresh-idle'), /^7 days: /);
  assert.match(textOf(html, 'lifetime-refresh'), /^30 days after/);
  assert.equal(JSON.parse(textOf(html, 'example-token-response')).expires_in, 600);
  assert.match(textOf(html, 'error-temporarily_unavailable'), /The limit here is 50 requests per second per client_id\./);
});

test('lifetimes follow the settings', async () => {
  const other = await startServer({
    env: {
      ORGO_ACCESS_TOKEN_TTL: '900', ORGO_CODE_TTL: '90', ORGO_REFRESH_TOKEN_IDLE: '3600',
      ORGO_REFRESH_TOKEN_TTL: '90000', ORGO_TOKEN_RATE_LIMIT: '0',
    },
  });
  try {
    const { html } = await getDocs(other);

    assert.equal(textOf(html, 'lifetime-access'), '15 minutes (900 seconds)');
    assert.equal(textOf(html, 'lifetime-code'), '1 minute 30 seconds, one use');
    assert.match(textOf(html, 'lifetime-refresh-idle'), /^1 hour: /);
    assert.match(textOf(html, 'lifetime-refresh'), /^1 day 1 hour after/);
    assert.equal(JSON.parse(textOf(html, 'example-token-response')).expires_in, 900);
    assert.match(html, /Access tokens on this server live 15 minutes\./);
    assert.match(textOf(html, 'error-temporarily_unavailable'), /This server sets no such limit\./);
  } finally {
    await other.stop();
  }
});

test('client_id fills the examples', async () => {
  const { res, html } = await getDocs(server, '?client_id=abc_DEF-123');

  assert.equal(res.status, 200);
  assert.doesNotMatch(html, /YOUR_CLIENT_ID/);
  assert.match(textOf(html, 'example-authorize-url'), /[?&]client_id=abc_DEF-123&/);
  assert.match(textOf(html, 'example-token-curl'), /^ {2}-u 'abc_DEF-123:YOUR_CLIENT_SECRET' \\$/m);
  assert.match(textOf(html, 'example-refresh-curl'), /-u 'abc_DEF-123:YOUR_CLIENT_SECRET'/);
  assert.match(textOf(html, 'example-spa-start'), /client_id: 'abc_DEF-123',/);
  assert.match(textOf(html, 'example-spa-callback'), /client_id: 'abc_DEF-123',/);
  assert.equal(paragraphHidden(html, 'The examples use the client_id'), false);
  assert.equal(paragraphHidden(html, 'The examples use the placeholder'), true);
});

test('placeholder without client_id', async () => {
  const { html } = await getDocs(server);

  assert.match(textOf(html, 'example-authorize-url'), /[?&]client_id=YOUR_CLIENT_ID&/);
  assert.match(textOf(html, 'example-token-curl'), /-u 'YOUR_CLIENT_ID:YOUR_CLIENT_SECRET'/);
  assert.equal(paragraphHidden(html, 'The examples use the client_id'), true);
  assert.equal(paragraphHidden(html, 'The examples use the placeholder'), false);
});

test('invalid client_id is ignored', async () => {
  const cases = [
    ['markup', `client_id=${encodeURIComponent('<script>alert(1)</script>')}`, ['<script>alert', '&lt;script', 'alert(1)']],
    ['attribute', `client_id=${encodeURIComponent('"><img src=x onerror=alert(2)>')}`, ['onerror', 'alert(2)', 'src=x']],
    ['too long', `client_id=${'a'.repeat(65)}`, ['a'.repeat(65)]],
    ['space', 'client_id=abc%20def', ['abc def']],
    ['quote', "client_id=abc'def", ["abc'def", 'abc&#39;def']],
    ['repeated', 'client_id=first1&client_id=second2', ['first1', 'second2']],
    ['bad encoding', 'client_id=zz99&x=%zz', ['zz99']],
    ['empty', 'client_id=', []],
  ];
  for (const [name, query, absent] of cases) {
    const { res, html } = await getDocs(server, `?${query}`);

    assert.equal(res.status, 200, name);
    assert.match(textOf(html, 'example-token-curl'), /-u 'YOUR_CLIENT_ID:/, `${name}: placeholder`);
    for (const text of absent) assert.ok(!html.includes(text), `${name}: ${text} is not on the page`);
  }
});

test('documented curl steps work', async () => {
  const app = addApp(server, { name: 'Curl Wiki', redirectUris: [WIKI_CB], scopes: ['profile', 'email', 'groups', 'roles'] });
  const member = addMember(server, { email: 'carla@example.org', name: 'Carla Curl', groups: ['Editors'], roles: ['PROJECT_MANAGER'] });
  await server.query('UPDATE members SET picture = $1 WHERE email = $2', [PICTURE, member.email]);
  const { html } = await getDocs(server, `?client_id=${app.client_id}`);
  const secrets = { YOUR_CLIENT_SECRET: app.client_secret, [PLACEHOLDER_REDIRECT]: WIKI_CB };
  const documentedTokens = JSON.parse(textOf(html, 'example-token-response'));
  const documentedUser = JSON.parse(textOf(html, 'example-userinfo-response'));
  const claims = scopeClaims(html);

  // Steps 1 and 2 with the scopes of the documented authorization URL.
  const code = await codeFromDocumentedUrl(html, member);
  const tokens = await runCurl(textOf(html, 'example-token-curl'), { ...secrets, AUTHORIZATION_CODE: code });
  assert.equal(tokens.status, 200, JSON.stringify(tokens.json));
  assert.deepEqual(Object.keys(tokens.json).sort(), Object.keys(documentedTokens).sort());
  assert.equal(tokens.json.token_type, documentedTokens.token_type);
  assert.equal(tokens.json.expires_in, documentedTokens.expires_in);
  assert.equal(tokens.json.scope, documentedTokens.scope);

  // Step 3: sub plus the claims the scope table lists for those scopes.
  const user = await runCurl(textOf(html, 'example-userinfo-curl'), { ACCESS_TOKEN: tokens.json.access_token });
  assert.equal(user.status, 200, JSON.stringify(user.json));
  const expected = ['sub', ...tokens.json.scope.split(' ').flatMap((s) => claims[s])];
  assert.deepEqual(Object.keys(user.json).sort(), expected.sort());
  assert.equal(user.json.picture, PICTURE);

  // With every scope, userinfo has exactly the fields of the example.
  const fullCode = await codeFromDocumentedUrl(html, member, { scope: 'openid profile email groups roles' });
  const full = await runCurl(textOf(html, 'example-token-curl'), { ...secrets, AUTHORIZATION_CODE: fullCode });
  const fullUser = await runCurl(textOf(html, 'example-userinfo-curl'), { ACCESS_TOKEN: full.json.access_token });
  assert.equal(fullUser.status, 200, JSON.stringify(fullUser.json));
  assert.deepEqual(Object.keys(fullUser.json).sort(), Object.keys(documentedUser).sort());
  assert.deepEqual(fullUser.json.roles, ['MEMBER', 'PROJECT_MANAGER']);
  assert.deepEqual(fullUser.json.groups, ['Editors']);

  // Refresh rotates: the new token works, the old one is rejected.
  const refresh = textOf(html, 'example-refresh-curl');
  const rotated = await runCurl(refresh, { ...secrets, REFRESH_TOKEN: tokens.json.refresh_token });
  assert.equal(rotated.status, 200, JSON.stringify(rotated.json));
  assert.deepEqual(Object.keys(rotated.json).sort(), Object.keys(documentedTokens).sort());
  assert.notEqual(rotated.json.refresh_token, tokens.json.refresh_token);
  const reused = await runCurl(refresh, { ...secrets, REFRESH_TOKEN: tokens.json.refresh_token });
  assert.equal(reused.status, 400);
  assert.equal(reused.json.error, 'invalid_grant');

  // Introspection, then revocation of the second sign-in.
  const active = await runCurl(textOf(html, 'example-introspect-curl'), { ...secrets, ACCESS_TOKEN: full.json.access_token });
  assert.equal(active.status, 200);
  assert.equal(active.json.active, true);
  const revoked = await runCurl(textOf(html, 'example-revoke-curl'), { ...secrets, REFRESH_TOKEN: full.json.refresh_token });
  assert.equal(revoked.status, 200);
  assert.deepEqual(revoked.json, {});
  const afterRevoke = await runCurl(textOf(html, 'example-userinfo-curl'), { ACCESS_TOKEN: full.json.access_token });
  assert.equal(afterRevoke.status, 401);
  assert.equal(afterRevoke.json.error, 'invalid_token');
});
