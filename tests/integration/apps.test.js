// Settings → Developers → OAuth Applications: access control, create,
// validation, CSRF, edit, secret rotation and deletion, over HTTPS against
// the real server and its database.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer } from '../helpers/server.js';
import { Agent, addMember, csrfToken, orgoctl } from '../helpers/http.js';
import { tokenRequest } from '../helpers/oauth.js';

const BASE = '/settings/developers/oauth-applications';
const FORM_ERROR_ALERT = 'The application was not saved. Correct the fields marked below.';

let server;
let admin;
let member;

before(async () => {
  server = await startServer();
  admin = addMember(server, { email: 'admin@example.org', name: 'Ada Admin', roles: ['ADMIN_TENANT'] });
  member = addMember(server, { email: 'member@example.org', name: 'Max Member' });
});
after(async () => server?.stop());

const sha256 = (s) => crypto.createHash('sha256').update(s).digest('hex');

// Escapes text the way the server's templates do (src/html.c).
function escapeHtml(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

async function signedIn(account = admin) {
  const agent = new Agent(server.url);
  const res = await agent.signIn(account.email, account.password);
  assert.equal(res.status, 303, `sign-in of ${account.email}`);
  return agent;
}

async function countRows() {
  const clients = await server.query('SELECT count(*)::int AS n FROM clients');
  const audit = await server.query("SELECT count(*)::int AS n FROM audit_log WHERE action LIKE 'client_%'");
  return { clients: clients.rows[0].n, audit: audit.rows[0].n };
}

async function clientRow(clientId) {
  const res = await server.query('SELECT * FROM clients WHERE client_id = $1', [clientId]);
  return res.rows[0];
}

async function auditRows(action, clientId) {
  const res = await server.query(
    'SELECT actor_member_id, address, details FROM audit_log WHERE action = $1 AND target = $2 ORDER BY id',
    [action, `client:${clientId}`]);
  return res.rows;
}

// The form fields as [name, value] pairs, so that 'scope' can repeat.
function formPairs({ csrf, name = 'Billing Portal', description = '', redirectUris = 'https://billing.example.com/callback',
  scopes = [], clientType = 'confidential' }) {
  const pairs = [];
  if (csrf !== undefined) pairs.push(['csrf_token', csrf]);
  pairs.push(['name', name], ['description', description], ['redirect_uris', redirectUris]);
  for (const s of scopes) pairs.push(['scope', s]);
  if (clientType !== undefined) pairs.push(['client_type', clientType]);
  return pairs;
}

// Opens the create form and posts it with the page's CSRF token.
async function createApp(agent, fields = {}) {
  const page = await agent.get(`${BASE}/new`);
  assert.equal(page.status, 200, 'create form opens');
  return agent.post(`${BASE}/new`, formPairs({ csrf: csrfToken(page.text_), ...fields }));
}

function shownClientId(html) {
  const m = /<code id="client-id">([^<]*)<\/code>/.exec(html);
  assert.ok(m, 'page has a client-id element');
  return m[1];
}

function shownSecret(html) {
  const m = /<code id="client-secret">([^<]*)<\/code>/.exec(html);
  assert.ok(m, 'page has a client-secret element');
  return m[1];
}

// Creates an app through orgoctl, for tests that are not about creating.
function addApp(args = []) {
  const defaults = ['--name', 'Fixture App', '--redirect-uri', 'https://fixture.example.com/cb'];
  return JSON.parse(orgoctl(server, ['app', 'add', ...defaults, ...args, '--json']));
}

// The error paragraph that follows a field on the create and edit forms.
const FIELD_ERROR = {
  name: /<p id="name-error" class="field-error">([^<]*)<\/p>/,
  description: /<p id="description-error" class="field-error">([^<]*)<\/p>/,
  redirect_uris: /<p id="redirect-error" class="field-error">([^<]*)<\/p>/,
  scope: /name="scope" value="roles"[^]*?<\/fieldset>\s*<p class="field-error">([^<]*)<\/p>/,
  client_type: /name="client_type" value="public"[^]*?<\/fieldset>\s*<p class="field-error">([^<]*)<\/p>/,
};

function fieldError(html, field) {
  const m = FIELD_ERROR[field].exec(html);
  assert.ok(m, `form has the error paragraph of ${field}`);
  return m[1];
}

function textareaValue(html, id) {
  const m = new RegExp(`<textarea id="${id}"[^>]*>([^<]*)</textarea>`).exec(html);
  assert.ok(m, `form has the ${id} textarea`);
  return m[1];
}

function isChecked(html, name, value) {
  const m = new RegExp(`<input type="(?:checkbox|radio)" name="${name}" value="${value}" ?([a-z]*)>`).exec(html);
  assert.ok(m, `form has the ${name}=${value} input`);
  return m[1] === 'checked';
}

describe('access', () => {
  let clientId;
  before(() => { clientId = addApp().client_id; });

  const pages = () => [
    '/settings/developers',
    BASE,
    `${BASE}/new`,
    `${BASE}/${clientId}`,
    `${BASE}/${clientId}/rotate-secret`,
    `${BASE}/${clientId}/delete`,
  ];

  test('member gets 403 on every page', async () => {
    const agent = await signedIn(member);
    for (const path of pages()) {
      const res = await agent.get(path);
      assert.equal(res.status, 403, `GET ${path}`);
      assert.match(res.text_, /This page is for administrators \(role ADMIN_TENANT\)\./, `GET ${path}`);
    }
  });

  test('member gets 403 on every POST', async () => {
    const agent = await signedIn(member);
    const csrf = csrfToken((await agent.get('/settings')).text_);
    const rowBefore = await clientRow(clientId);
    const countsBefore = await countRows();

    const posts = [
      [`${BASE}/new`, formPairs({ csrf, name: 'Member App' })],
      [`${BASE}/${clientId}`, formPairs({ csrf, name: 'Renamed by member' })],
      [`${BASE}/${clientId}/rotate-secret`, { csrf_token: csrf }],
      [`${BASE}/${clientId}/delete`, { csrf_token: csrf }],
    ];
    for (const [path, form] of posts) {
      const res = await agent.post(path, form);
      assert.equal(res.status, 403, `POST ${path}`);
    }

    assert.deepEqual(await clientRow(clientId), rowBefore, 'the app is unchanged');
    assert.deepEqual(await countRows(), countsBefore, 'nothing was stored');
  });

  test('no session redirects to sign-in', async () => {
    const agent = new Agent(server.url);
    for (const path of pages()) {
      const res = await agent.get(path);
      assert.equal(res.status, 303, `GET ${path}`);
      assert.equal(res.headers.get('location'), `/login?return_to=${encodeURIComponent(path)}`, `GET ${path}`);
    }
    for (const path of pages().slice(2)) {
      const res = await agent.post(path, { csrf_token: 'x'.repeat(43) });
      assert.equal(res.status, 303, `POST ${path}`);
      assert.equal(res.headers.get('location'), `/login?return_to=${encodeURIComponent(path)}`, `POST ${path}`);
    }
    assert.ok(await clientRow(clientId), 'the app still exists');
  });

  test('developers page links to OAuth Applications', async () => {
    const agent = await signedIn();
    const res = await agent.get('/settings/developers');
    assert.equal(res.status, 200);
    assert.match(res.text_, new RegExp(`<a href="${BASE}">OAuth Applications</a>`));
  });
});

describe('list', () => {
  test('empty state explains OAuth applications', async () => {
    await server.query('DELETE FROM clients');
    const agent = await signedIn();
    const res = await agent.get(BASE);
    assert.equal(res.status, 200);
    assert.match(res.text_, /<div class="">\s*<p>An OAuth application is a website, mobile app, single-page app or\s+internal tool that lets members sign in with their Orgo account/);
    assert.match(res.text_, /No application is registered yet\./);
    assert.match(res.text_, /<a href="\/oauth\/docs">OAuth documentation<\/a> to connect it\./);
    assert.match(res.text_, /<div class="table-wrap hidden">/, 'the table is hidden');
    assert.match(res.text_, new RegExp(`<a class="button primary" href="${BASE}/new">Create Application</a>`));
    assert.match(res.text_, /<div class="notice hidden" role="status"><\/div>/, 'no notice without ?deleted=1');
  });

  test('list shows each app with a link', async () => {
    const app = addApp(['--name', 'Listed <App>', '--scope', 'email']);
    const agent = await signedIn();
    const res = await agent.get(BASE);
    assert.equal(res.status, 200);
    assert.match(res.text_, new RegExp(`<tr><td><a href="${BASE}/${app.client_id}">Listed &lt;App&gt;</a></td><td>confidential</td><td class="mono">${app.client_id}</td>`));
    assert.match(res.text_, /<td class="optional">openid email<\/td>/);
    assert.match(res.text_, /<div class="hidden">\s*<p>An OAuth application is/, 'the empty state is hidden');
  });
});

describe('create', () => {
  test('confidential app shows its secret once', async () => {
    const agent = await signedIn();
    const countsBefore = await countRows();
    const res = await createApp(agent, {
      name: '  Billing Portal  ',
      description: 'Invoices for members.',
      redirectUris: '  https://billing.example.com/callback  \n\nhttp://127.0.0.1:8080/cb\r\n\tcom.example.billing:/oauth\n',
      scopes: ['profile', 'email'],
      clientType: 'confidential',
    });
    assert.equal(res.status, 200);
    assert.match(res.text_, /<h1>Application created<\/h1>/);

    const clientId = shownClientId(res.text_);
    const secret = shownSecret(res.text_);
    assert.match(clientId, /^[A-Za-z0-9_-]{22}$/);
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(res.text_.split(secret).length - 1, 1, 'the secret appears once on the page');

    const row = await clientRow(clientId);
    assert.ok(row, 'the app is stored');
    assert.equal(row.name, 'Billing Portal');
    assert.equal(row.description, 'Invoices for members.');
    assert.equal(row.client_type, 'confidential');
    assert.equal(row.secret_hash, sha256(secret));
    assert.deepEqual(row.redirect_uris, [
      'https://billing.example.com/callback',
      'http://127.0.0.1:8080/cb',
      'com.example.billing:/oauth',
    ]);
    assert.equal(row.allowed_scopes, 'openid profile email');
    assert.equal(String(row.created_by), String(admin.id));

    const countsAfter = await countRows();
    assert.equal(countsAfter.clients, countsBefore.clients + 1);
    assert.equal(countsAfter.audit, countsBefore.audit + 1);

    const audit = await auditRows('client_created', clientId);
    assert.equal(audit.length, 1);
    assert.equal(String(audit[0].actor_member_id), String(admin.id));
    assert.equal(audit[0].address, '127.0.0.1');
    assert.deepEqual(audit[0].details, {
      name: 'Billing Portal',
      client_type: 'confidential',
      redirect_uris: row.redirect_uris,
      allowed_scopes: 'openid profile email',
    });

    const stored = await server.query(
      `SELECT (SELECT row_to_json(c)::text FROM clients c WHERE client_id = $1) AS client,
              (SELECT coalesce(string_agg(row_to_json(a)::text, ''), '') FROM audit_log a) AS audit`, [clientId]);
    assert.equal(stored.rows[0].client.includes(secret), false, 'the secret is not in the clients row');
    assert.equal(stored.rows[0].audit.includes(secret), false, 'the secret is not in audit_log');
  });

  test('confidential app without redirect URIs', async () => {
    const agent = await signedIn();
    const res = await createApp(agent, {
      name: 'Nightly export', redirectUris: '', scopes: [], clientType: 'confidential',
    });
    assert.equal(res.status, 200);
    const clientId = shownClientId(res.text_);
    const secret = shownSecret(res.text_);
    assert.deepEqual((await clientRow(clientId)).redirect_uris, []);

    const token = await tokenRequest(server, { grant_type: 'client_credentials' }, { basic: [clientId, secret] });
    assert.equal(token.status, 200, token.text_);
    assert.equal(token.json.token_type, 'Bearer');

    const page = await agent.get('/oauth/authorize?response_type=code&client_id=' + clientId);
    assert.equal(page.status, 400);
    assert.match(page.text_, /The application has no registered redirect URIs/);
  });

  test('public app has no secret', async () => {
    const agent = await signedIn();
    const res = await createApp(agent, {
      name: 'Mobile App',
      redirectUris: 'com.example.mobile:/callback',
      scopes: ['profile'],
      clientType: 'public',
    });
    assert.equal(res.status, 200);
    const clientId = shownClientId(res.text_);
    assert.match(clientId, /^[A-Za-z0-9_-]{22}$/);
    assert.doesNotMatch(res.text_, /id="client-secret"/, 'no secret element');
    assert.match(res.text_, /Public applications have no secret: they use PKCE\./);

    const row = await clientRow(clientId);
    assert.equal(row.client_type, 'public');
    assert.equal(row.secret_hash, null);
    assert.equal(row.allowed_scopes, 'openid profile');
  });

  test('detail page does not show the secret again', async () => {
    const agent = await signedIn();
    const created = await createApp(agent, { name: 'Secret Once' });
    const clientId = shownClientId(created.text_);
    const secret = shownSecret(created.text_);

    const res = await agent.get(`${BASE}/${clientId}`);
    assert.equal(res.status, 200);
    assert.equal(res.text_.includes(secret), false, 'the secret is not on the detail page');
    assert.doesNotMatch(res.text_, /id="client-secret"/);
    assert.equal((await agent.get(BASE)).text_.includes(secret), false, 'the secret is not on the list');
  });

  test('name of 100 multi-byte characters is valid', async () => {
    const agent = await signedIn();
    const name = 'é'.repeat(100);
    const res = await createApp(agent, { name, description: 'd'.repeat(1000) });
    assert.equal(res.status, 200);
    const row = await clientRow(shownClientId(res.text_));
    assert.equal(row.name, name);
    assert.equal(row.description, 'd'.repeat(1000));
  });

  test('20 redirect URIs are valid', async () => {
    const agent = await signedIn();
    const uris = Array.from({ length: 20 }, (_, i) => `https://app.example.com/cb${i}`);
    const res = await createApp(agent, { redirectUris: uris.join('\n') });
    assert.equal(res.status, 200);
    const row = await clientRow(shownClientId(res.text_));
    assert.deepEqual(row.redirect_uris, uris);
  });

  test('scopes are stored in canonical order', async () => {
    const agent = await signedIn();
    const res = await createApp(agent, { scopes: ['roles', 'groups', 'email', 'profile'] });
    assert.equal(res.status, 200);
    const row = await clientRow(shownClientId(res.text_));
    assert.equal(row.allowed_scopes, 'openid profile email groups roles');
  });

  test('no scope ticked allows only openid', async () => {
    const agent = await signedIn();
    const res = await createApp(agent, { scopes: [] });
    assert.equal(res.status, 200);
    const row = await clientRow(shownClientId(res.text_));
    assert.equal(row.allowed_scopes, 'openid');
  });
});

describe('create validation', () => {
  const twentyOne = Array.from({ length: 21 }, (_, i) => `https://app.example.com/cb${i}`).join('\n');
  const cases = [
    { label: 'empty name', fields: { name: '   ' }, field: 'name', message: 'Name is required' },
    { label: '101-character name', fields: { name: 'é'.repeat(101) }, field: 'name',
      message: 'Name must be at most 100 characters' },
    { label: '1001-character description', fields: { description: 'd'.repeat(1001) }, field: 'description',
      message: 'Description must be at most 1000 characters' },
    { label: 'public app without redirect URI', fields: { redirectUris: ' \n \n', clientType: 'public' },
      field: 'redirect_uris', message: 'a public app without the device grant needs at least one redirect URI' },
    { label: '21 redirect URIs', fields: { redirectUris: twentyOne }, field: 'redirect_uris',
      message: 'at most 20 redirect URIs are allowed' },
    { label: 'duplicate redirect URI',
      fields: { redirectUris: 'https://app.example.com/cb\nhttps://app.example.com/other\n https://app.example.com/cb' },
      field: 'redirect_uris', message: 'line 3: duplicate of line 1' },
    { label: 'fragment', fields: { redirectUris: 'https://app.example.com/cb\nhttps://app.example.com/cb2#top' },
      field: 'redirect_uris', message: 'line 2: redirect URI must not contain a fragment (#...)' },
    { label: 'wildcard', fields: { redirectUris: 'https://*.example.com/cb' }, field: 'redirect_uris',
      message: 'line 1: redirect URI must not contain a wildcard (*)' },
    { label: 'http on a public host', fields: { redirectUris: 'http://app.example.com/cb' }, field: 'redirect_uris',
      message: 'line 1: redirect URI must use https, except http on 127.0.0.1, [::1] or localhost' },
    { label: 'userinfo', fields: { redirectUris: 'https://app.example.com@evil.example/cb' }, field: 'redirect_uris',
      message: 'line 1: redirect URI must not contain user information (user@host)' },
    { label: 'uppercase scheme', fields: { redirectUris: 'HTTPS://app.example.com/cb' }, field: 'redirect_uris',
      message: 'line 1: redirect URI scheme "HTTPS" must be written in lowercase, as "https"' },
    { label: 'javascript scheme', fields: { redirectUris: 'javascript:alert(1)' }, field: 'redirect_uris',
      message: 'line 1: redirect URI must use https, or a reverse-domain scheme such as com.example.app for a native app, not "javascript"' },
    { label: 'unknown scope', fields: { scopes: ['email', 'admin'] }, field: 'scope',
      message: 'unknown scope "admin": choose from profile, email, groups, roles' },
    { label: 'bad client type', fields: { clientType: 'internal' }, field: 'client_type',
      message: 'Client type must be confidential or public' },
  ];

  for (const c of cases) {
    test(`rejects ${c.label}`, async () => {
      const agent = await signedIn();
      const fields = {
        name: 'Kept <Name> & "quotes"',
        description: 'Kept description\nsecond line',
        redirectUris: 'https://kept.example.com/cb?a=1&b=2',
        scopes: ['profile', 'groups'],
        clientType: 'public',
        ...c.fields,
      };
      const countsBefore = await countRows();
      const res = await createApp(agent, fields);

      assert.equal(res.status, 400);
      assert.equal(fieldError(res.text_, c.field), escapeHtml(c.message));
      for (const other of Object.keys(FIELD_ERROR).filter((f) => f !== c.field)) {
        assert.equal(fieldError(res.text_, other), '', `no error next to ${other}`);
      }
      assert.match(res.text_, new RegExp(`<div class="alert " role="alert">${FORM_ERROR_ALERT}</div>`));

      assert.match(res.text_, new RegExp(`id="name" name="name" [^>]*value="${escapeHtml(fields.name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`),
        'name is kept');
      assert.equal(textareaValue(res.text_, 'description'), escapeHtml(fields.description), 'description is kept');
      assert.equal(textareaValue(res.text_, 'redirect_uris'), escapeHtml(fields.redirectUris), 'redirect URIs are kept');
      for (const s of ['profile', 'email', 'groups', 'roles']) {
        assert.equal(isChecked(res.text_, 'scope', s), fields.scopes.includes(s), `scope ${s} is kept`);
      }
      // An unknown client type cannot be shown, so the form falls back to confidential.
      const shownType = fields.clientType === 'public' ? 'public' : 'confidential';
      assert.equal(isChecked(res.text_, 'client_type', 'public'), shownType === 'public', 'client type is kept');
      assert.equal(isChecked(res.text_, 'client_type', 'confidential'), shownType === 'confidential');

      assert.deepEqual(await countRows(), countsBefore, 'nothing was stored');
    });
  }
});

describe('CSRF', () => {
  test('missing token is rejected', async () => {
    const agent = await signedIn();
    const countsBefore = await countRows();
    const res = await agent.post(`${BASE}/new`, formPairs({ name: 'No Token' }));
    assert.equal(res.status, 403);
    assert.match(res.text_, /The form expired or did not come from this site\./);
    assert.deepEqual(await countRows(), countsBefore, 'nothing was stored');
  });

  test('wrong token is rejected', async () => {
    const agent = await signedIn();
    const countsBefore = await countRows();
    const res = await agent.post(`${BASE}/new`, formPairs({ csrf: 'A'.repeat(43), name: 'Wrong Token' }));
    assert.equal(res.status, 403);
    assert.deepEqual(await countRows(), countsBefore, 'nothing was stored');
  });

  test('foreign Origin is rejected', async () => {
    const agent = await signedIn();
    const page = await agent.get(`${BASE}/new`);
    const countsBefore = await countRows();
    const res = await agent.post(`${BASE}/new`, formPairs({ csrf: csrfToken(page.text_), name: 'Cross Site' }),
      { origin: 'https://evil.example' });
    assert.equal(res.status, 403);
    assert.deepEqual(await countRows(), countsBefore, 'nothing was stored');
  });

  test('edit, rotate and delete check the Origin', async () => {
    const app = addApp();
    const agent = await signedIn();
    const csrf = csrfToken((await agent.get(`${BASE}/${app.client_id}`)).text_);
    const rowBefore = await clientRow(app.client_id);
    const countsBefore = await countRows();

    const posts = [
      [`${BASE}/${app.client_id}`, formPairs({ csrf, name: 'Cross Site Rename' })],
      [`${BASE}/${app.client_id}/rotate-secret`, { csrf_token: csrf }],
      [`${BASE}/${app.client_id}/delete`, { csrf_token: csrf }],
    ];
    for (const [path, form] of posts) {
      const res = await agent.post(path, form, { origin: 'https://evil.example' });
      assert.equal(res.status, 403, `POST ${path}`);
    }
    for (const [path, form] of posts) {
      const res = await agent.post(path, Array.isArray(form) ? form.filter(([k]) => k !== 'csrf_token') : {});
      assert.equal(res.status, 403, `POST ${path} without a token`);
    }

    assert.deepEqual(await clientRow(app.client_id), rowBefore, 'the app is unchanged');
    assert.deepEqual(await countRows(), countsBefore, 'nothing was stored');
  });
});

describe('edit', () => {
  test('form shows the stored values', async () => {
    const app = addApp(['--description', 'Stored text', '--redirect-uri', 'https://fixture.example.com/second',
      '--scope', 'email', '--scope', 'roles']);
    const agent = await signedIn();
    const res = await agent.get(`${BASE}/${app.client_id}`);
    assert.equal(res.status, 200);
    assert.match(res.text_, /id="name" name="name" [^>]*value="Fixture App"/);
    assert.equal(textareaValue(res.text_, 'description'), 'Stored text');
    assert.equal(textareaValue(res.text_, 'redirect_uris'), 'https://fixture.example.com/cb\nhttps://fixture.example.com/second');
    assert.equal(isChecked(res.text_, 'scope', 'profile'), false);
    assert.equal(isChecked(res.text_, 'scope', 'email'), true);
    assert.equal(isChecked(res.text_, 'scope', 'groups'), false);
    assert.equal(isChecked(res.text_, 'scope', 'roles'), true);
    assert.equal(isChecked(res.text_, 'client_type', 'confidential'), true);
  });

  test('save updates the row and audits from/to', async () => {
    const app = addApp(['--scope', 'profile']);
    const rowBefore = await clientRow(app.client_id);
    const agent = await signedIn();
    const page = await agent.get(`${BASE}/${app.client_id}`);

    const res = await agent.post(`${BASE}/${app.client_id}`, formPairs({
      csrf: csrfToken(page.text_),
      name: 'Renamed App',
      description: '',
      redirectUris: 'https://fixture.example.com/new-cb\n  https://fixture.example.com/cb  ',
      scopes: ['email', 'groups'],
      clientType: 'confidential',
    }));
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `${BASE}/${app.client_id}?saved=1`);

    const row = await clientRow(app.client_id);
    assert.equal(row.name, 'Renamed App');
    assert.equal(row.description, '');
    assert.deepEqual(row.redirect_uris, ['https://fixture.example.com/new-cb', 'https://fixture.example.com/cb']);
    assert.equal(row.allowed_scopes, 'openid email groups');
    assert.equal(row.client_type, 'confidential');
    assert.equal(row.secret_hash, rowBefore.secret_hash, 'the secret is unchanged');
    assert.ok(row.updated_at > rowBefore.updated_at, 'updated_at moved');

    const audit = await auditRows('client_updated', app.client_id);
    assert.equal(audit.length, 1);
    assert.equal(String(audit[0].actor_member_id), String(admin.id));
    assert.deepEqual(audit[0].details, {
      name: { from: 'Fixture App', to: 'Renamed App' },
      redirect_uris: {
        from: ['https://fixture.example.com/cb'],
        to: ['https://fixture.example.com/new-cb', 'https://fixture.example.com/cb'],
      },
      allowed_scopes: { from: 'openid profile', to: 'openid email groups' },
    });

    const saved = await agent.get(res.headers.get('location'));
    assert.equal(saved.status, 200);
    assert.match(saved.text_, /<div class="notice " role="status">Changes saved\.<\/div>/);
    assert.match(saved.text_, /<h1>Renamed App<\/h1>/);
  });

  test('invalid edit keeps the row', async () => {
    const app = addApp();
    const rowBefore = await clientRow(app.client_id);
    const agent = await signedIn();
    const page = await agent.get(`${BASE}/${app.client_id}`);
    const countsBefore = await countRows();

    const res = await agent.post(`${BASE}/${app.client_id}`, formPairs({
      csrf: csrfToken(page.text_), name: 'Still Valid', redirectUris: 'http://fixture.example.com/cb',
    }));
    assert.equal(res.status, 400);
    assert.equal(fieldError(res.text_, 'redirect_uris'),
      'line 1: redirect URI must use https, except http on 127.0.0.1, [::1] or localhost');
    assert.equal(textareaValue(res.text_, 'redirect_uris'), 'http://fixture.example.com/cb');
    assert.match(res.text_, /id="name" name="name" [^>]*value="Still Valid"/);
    assert.deepEqual(await clientRow(app.client_id), rowBefore, 'the app is unchanged');
    assert.deepEqual(await countRows(), countsBefore, 'nothing was stored');
  });

  test('public to confidential shows a first secret once', async () => {
    const app = addApp(['--public']);
    const agent = await signedIn();
    const page = await agent.get(`${BASE}/${app.client_id}`);
    assert.equal(isChecked(page.text_, 'client_type', 'public'), true);
    assert.match(page.text_, /<section class="card hidden">\s*<h2>Client secret<\/h2>/, 'no rotate section for a public app');

    const res = await agent.post(`${BASE}/${app.client_id}`, formPairs({
      csrf: csrfToken(page.text_), name: 'Fixture App', redirectUris: 'https://fixture.example.com/cb',
      clientType: 'confidential',
    }));
    assert.equal(res.status, 200);
    assert.match(res.text_, /<h1>Application is now confidential<\/h1>/);
    assert.equal(shownClientId(res.text_), app.client_id);
    const secret = shownSecret(res.text_);
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);

    const row = await clientRow(app.client_id);
    assert.equal(row.client_type, 'confidential');
    assert.equal(row.secret_hash, sha256(secret));

    const audit = await auditRows('client_updated', app.client_id);
    assert.equal(audit.length, 1);
    assert.deepEqual(audit[0].details, { client_type: { from: 'public', to: 'confidential' } });

    const detail = await agent.get(`${BASE}/${app.client_id}`);
    assert.equal(detail.text_.includes(secret), false, 'the secret is not shown again');
    assert.match(detail.text_, /<section class="card ">\s*<h2>Client secret<\/h2>/, 'rotate section is shown');
  });

  test('confidential to public drops the secret', async () => {
    const app = addApp();
    const agent = await signedIn();
    const page = await agent.get(`${BASE}/${app.client_id}`);
    const res = await agent.post(`${BASE}/${app.client_id}`, formPairs({
      csrf: csrfToken(page.text_), name: 'Fixture App', redirectUris: 'https://fixture.example.com/cb',
      clientType: 'public',
    }));
    assert.equal(res.status, 303);
    const row = await clientRow(app.client_id);
    assert.equal(row.client_type, 'public');
    assert.equal(row.secret_hash, null);
    const audit = await auditRows('client_updated', app.client_id);
    assert.deepEqual(audit[0].details, { client_type: { from: 'confidential', to: 'public' } });
  });

  test('unchanged save writes an empty change set', async () => {
    const app = addApp();
    const agent = await signedIn();
    const page = await agent.get(`${BASE}/${app.client_id}`);
    const res = await agent.post(`${BASE}/${app.client_id}`, formPairs({
      csrf: csrfToken(page.text_), name: 'Fixture App', redirectUris: 'https://fixture.example.com/cb',
    }));
    assert.equal(res.status, 303);
    const audit = await auditRows('client_updated', app.client_id);
    assert.equal(audit.length, 1);
    assert.deepEqual(audit[0].details, {});
  });
});

describe('detail page', () => {
  test('lists the endpoints of this issuer', async () => {
    const app = addApp();
    const agent = await signedIn();
    const res = await agent.get(`${BASE}/${app.client_id}`);
    assert.equal(res.status, 200);
    assert.match(res.text_, new RegExp(`<code id="client-id">${app.client_id}</code>`));

    const endpoints = [
      ['Issuer', server.url],
      ['Discovery', `${server.url}/.well-known/openid-configuration`],
      ['Authorization endpoint', `${server.url}/oauth/authorize`],
      ['Token endpoint', `${server.url}/oauth/token`],
      ['UserInfo endpoint', `${server.url}/oauth/userinfo`],
      ['JWKS', `${server.url}/oauth/jwks`],
      ['Revocation endpoint', `${server.url}/oauth/revoke`],
      ['Introspection endpoint', `${server.url}/oauth/introspect`],
      ['End session (logout)', `${server.url}/oauth/logout`],
    ];
    for (const [label, url] of endpoints) {
      const row = new RegExp(`<tr><th>${label.replace(/[()]/g, '\\$&')}</th><td><div class="copy-row"><code id="(endpoint-\\d+)">${url}</code><button type="button" data-copy="(endpoint-\\d+)">Copy</button>`);
      const m = row.exec(res.text_);
      assert.ok(m, `${label} is ${url}`);
      assert.equal(m[1], m[2], `${label} copy button points at its URL`);
    }
    assert.match(res.text_, new RegExp(`<a href="/oauth/docs\\?client_id=${app.client_id}">`));
  });

  test('unknown client_id is 404', async () => {
    const agent = await signedIn();
    const unknown = 'U'.repeat(22);
    for (const path of [`${BASE}/${unknown}`, `${BASE}/${unknown}/rotate-secret`, `${BASE}/${unknown}/delete`]) {
      const res = await agent.get(path);
      assert.equal(res.status, 404, `GET ${path}`);
      assert.match(res.text_, /There is no OAuth application with this client ID\./);
    }
    const csrf = csrfToken((await agent.get(BASE)).text_);
    for (const path of [`${BASE}/${unknown}`, `${BASE}/${unknown}/rotate-secret`, `${BASE}/${unknown}/delete`]) {
      const res = await agent.post(path, formPairs({ csrf }));
      assert.equal(res.status, 404, `POST ${path}`);
    }
  });
});

describe('rotate secret', () => {
  test('asks for confirmation first', async () => {
    const app = addApp();
    const agent = await signedIn();
    const res = await agent.get(`${BASE}/${app.client_id}/rotate-secret`);
    assert.equal(res.status, 200);
    assert.match(res.text_, /<h1>Rotate client secret\?<\/h1>/);
    assert.match(res.text_, /A new secret for &quot;Fixture App&quot; will be shown once\./);
    assert.match(res.text_, new RegExp(`<form method="post" action="${BASE}/${app.client_id}/rotate-secret">`));
    assert.match(res.text_, new RegExp(`<a class="button" href="${BASE}/${app.client_id}">Cancel</a>`));
    assert.equal((await clientRow(app.client_id)).secret_hash, sha256(app.client_secret), 'GET changes nothing');
  });

  test('new secret replaces the stored hash', async () => {
    const app = addApp();
    const agent = await signedIn();
    const page = await agent.get(`${BASE}/${app.client_id}/rotate-secret`);

    const res = await agent.post(`${BASE}/${app.client_id}/rotate-secret`, { csrf_token: csrfToken(page.text_) });
    assert.equal(res.status, 200);
    assert.match(res.text_, /<h1>New client secret<\/h1>/);
    assert.equal(shownClientId(res.text_), app.client_id);
    const secret = shownSecret(res.text_);
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(secret, app.client_secret);

    const row = await clientRow(app.client_id);
    assert.equal(row.secret_hash, sha256(secret));
    assert.ok(row.secret_rotated_at, 'secret_rotated_at is set');

    const audit = await auditRows('client_secret_rotated', app.client_id);
    assert.equal(audit.length, 1);
    assert.equal(String(audit[0].actor_member_id), String(admin.id));
    const log = await server.query("SELECT coalesce(string_agg(row_to_json(a)::text, ''), '') AS text FROM audit_log a");
    assert.equal(log.rows[0].text.includes(secret), false, 'the secret is not in audit_log');
  });

  test('public app has no secret to rotate', async () => {
    const app = addApp(['--public']);
    const agent = await signedIn();
    const res = await agent.get(`${BASE}/${app.client_id}/rotate-secret`);
    assert.equal(res.status, 400);
    assert.match(res.text_, /Public applications have no client secret\./);
    const csrf = csrfToken(res.text_);
    const post = await agent.post(`${BASE}/${app.client_id}/rotate-secret`, { csrf_token: csrf });
    assert.equal(post.status, 400);
    assert.equal((await clientRow(app.client_id)).secret_hash, null);
    assert.equal((await auditRows('client_secret_rotated', app.client_id)).length, 0);
  });
});

describe('delete', () => {
  test('asks for confirmation first', async () => {
    const app = addApp();
    const agent = await signedIn();
    const res = await agent.get(`${BASE}/${app.client_id}/delete`);
    assert.equal(res.status, 200);
    assert.match(res.text_, /<h1>Delete application\?<\/h1>/);
    assert.match(res.text_, /&quot;Fixture App&quot; will be deleted\./);
    assert.match(res.text_, new RegExp(`<form method="post" action="${BASE}/${app.client_id}/delete">`));
    assert.ok(await clientRow(app.client_id), 'GET deletes nothing');
  });

  test('removes the row and shows a notice', async () => {
    const app = addApp(['--name', 'Doomed App']);
    const agent = await signedIn();
    const page = await agent.get(`${BASE}/${app.client_id}/delete`);

    const res = await agent.post(`${BASE}/${app.client_id}/delete`, { csrf_token: csrfToken(page.text_) });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `${BASE}?deleted=1`);
    assert.equal(await clientRow(app.client_id), undefined, 'the row is gone');

    const list = await agent.get(res.headers.get('location'));
    assert.equal(list.status, 200);
    assert.match(list.text_, /<div class="notice " role="status">The application was deleted\.<\/div>/);
    assert.equal(list.text_.includes(app.client_id), false, 'the app is not listed');

    const audit = await auditRows('client_deleted', app.client_id);
    assert.equal(audit.length, 1);
    assert.equal(String(audit[0].actor_member_id), String(admin.id));
    assert.deepEqual(audit[0].details, { name: 'Doomed App' });

    const again = await agent.post(`${BASE}/${app.client_id}/delete`, { csrf_token: csrfToken(page.text_) });
    assert.equal(again.status, 404, 'a second delete finds nothing');
  });
});

describe('page headers', () => {
  test('app pages forbid inline script and framing', async () => {
    const app = addApp();
    const agent = await signedIn();
    for (const path of [BASE, `${BASE}/new`, `${BASE}/${app.client_id}`, `${BASE}/${app.client_id}/delete`]) {
      const res = await agent.get(path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-security-policy'), /script-src 'self'/, path);
      assert.match(res.headers.get('content-security-policy'), /frame-ancestors 'none'/, path);
      assert.equal(res.headers.get('cache-control'), 'no-store', path);
      assert.doesNotMatch(res.text_, /<script>/, `${path} has no inline script`);
      assert.doesNotMatch(res.text_, /style="/, `${path} has no inline style`);
    }
  });
});
