// orgoctl app: add, list, show, rotate-secret and delete against a real
// database, with the same validation messages as the admin form.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, ROOT } from '../helpers/server.js';

let server;

before(async () => {
  server = await startServer();
});
after(async () => server?.stop());

const sha256 = (s) => crypto.createHash('sha256').update(s).digest('hex');

// Runs orgoctl and returns its exit status and both outputs, also on failure.
function run(args) {
  const res = spawnSync(path.join(ROOT, 'build/orgoctl'), args, { env: server.env, encoding: 'utf8' });
  if (res.error) throw res.error;
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

function addJson(args) {
  const res = run(['app', 'add', ...args, '--json']);
  assert.equal(res.status, 0, `orgoctl app add failed: ${res.stderr}`);
  assert.equal(res.stderr, '');
  return JSON.parse(res.stdout);
}

async function clientRow(clientId) {
  return (await server.query('SELECT * FROM clients WHERE client_id = $1', [clientId])).rows[0];
}

async function countRows() {
  const clients = await server.query('SELECT count(*)::int AS n FROM clients');
  const audit = await server.query("SELECT count(*)::int AS n FROM audit_log WHERE action LIKE 'client_%'");
  return { clients: clients.rows[0].n, audit: audit.rows[0].n };
}

async function auditRows(action, clientId) {
  const res = await server.query(
    'SELECT actor_member_id, details FROM audit_log WHERE action = $1 AND target = $2 ORDER BY id',
    [action, `client:${clientId}`]);
  return res.rows;
}

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

describe('app add', () => {
  test('text output shows the secret once', async () => {
    const res = run(['app', 'add', '--name', 'Billing Portal', '--redirect-uri', 'https://billing.example.com/cb',
      '--scope', 'email', '--scope', 'profile', '--description', 'Invoices']);
    assert.equal(res.status, 0, res.stderr);
    assert.equal(res.stderr, '');

    const m = /^created application Billing Portal\nclient_id: {5}([A-Za-z0-9_-]{22})\nclient_secret: ([A-Za-z0-9_-]{43}) {3}\(shown once: store it now\)\n$/
      .exec(res.stdout);
    assert.ok(m, `unexpected output:\n${res.stdout}`);
    const [, clientId, secret] = m;

    const row = await clientRow(clientId);
    assert.equal(row.name, 'Billing Portal');
    assert.equal(row.description, 'Invoices');
    assert.equal(row.client_type, 'confidential');
    assert.equal(row.secret_hash, sha256(secret));
    assert.deepEqual(row.redirect_uris, ['https://billing.example.com/cb']);
    assert.equal(row.allowed_scopes, 'openid profile email');
    assert.equal(row.created_by, null);

    const audit = await auditRows('client_created', clientId);
    assert.equal(audit.length, 1);
    assert.equal(audit[0].actor_member_id, null);
    assert.deepEqual(audit[0].details, {
      name: 'Billing Portal',
      client_type: 'confidential',
      redirect_uris: ['https://billing.example.com/cb'],
      allowed_scopes: 'openid profile email',
      via: 'orgoctl',
    });
  });

  test('--json has exactly the expected fields', async () => {
    const out = addJson(['--name', 'Json App', '--redirect-uri', 'https://json.example.com/cb',
      '--redirect-uri', 'http://localhost:3000/cb', '--scope', 'groups']);
    assert.deepEqual(Object.keys(out).sort(), ['allowed_scopes', 'client_id', 'client_secret', 'client_type', 'name']);
    assert.match(out.client_id, /^[A-Za-z0-9_-]{22}$/);
    assert.match(out.client_secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(out.name, 'Json App');
    assert.equal(out.client_type, 'confidential');
    assert.equal(out.allowed_scopes, 'openid groups');

    const row = await clientRow(out.client_id);
    assert.equal(row.secret_hash, sha256(out.client_secret));
    assert.deepEqual(row.redirect_uris, ['https://json.example.com/cb', 'http://localhost:3000/cb']);
  });

  test('--public has no client_secret', async () => {
    const out = addJson(['--name', 'Mobile', '--redirect-uri', 'com.example.mobile:/cb', '--public']);
    assert.deepEqual(Object.keys(out).sort(), ['allowed_scopes', 'client_id', 'client_type', 'name']);
    assert.equal(out.client_type, 'public');
    assert.equal((await clientRow(out.client_id)).secret_hash, null);

    const text = run(['app', 'add', '--name', 'Mobile Text', '--redirect-uri', 'com.example.mobile:/cb', '--public']);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^created application Mobile Text\nclient_id: {5}[A-Za-z0-9_-]{22}\n$/);
  });

  test('values are trimmed like the form', async () => {
    const out = addJson(['--name', '  Spaced  ', '--redirect-uri', '  https://spaced.example.com/cb  ']);
    assert.equal(out.name, 'Spaced');
    const row = await clientRow(out.client_id);
    assert.equal(row.name, 'Spaced');
    assert.deepEqual(row.redirect_uris, ['https://spaced.example.com/cb']);
  });
});

describe('app add validation', () => {
  const many = (n) => Array.from({ length: n }, (_, i) => ['--redirect-uri', `https://app.example.com/cb${i}`]).flat();
  const cases = [
    { label: 'empty name', args: ['--name', ' ', '--redirect-uri', 'https://app.example.com/cb'],
      stderr: 'orgoctl: --name: Name is required\n' },
    { label: '101-character name', args: ['--name', 'é'.repeat(101), '--redirect-uri', 'https://app.example.com/cb'],
      stderr: 'orgoctl: --name: Name must be at most 100 characters\n' },
    { label: '1001-character description',
      args: ['--name', 'App', '--description', 'd'.repeat(1001), '--redirect-uri', 'https://app.example.com/cb'],
      stderr: 'orgoctl: --description: Description must be at most 1000 characters\n' },
    { label: 'public app without redirect URI', args: ['--name', 'App', '--public'],
      stderr: 'orgoctl: --redirect-uri: a public app without the device grant needs at least one redirect URI\n' },
    { label: '21 redirect URIs', args: ['--name', 'App', ...many(21)],
      stderr: 'orgoctl: --redirect-uri: at most 20 redirect URIs are allowed\n' },
    { label: '25 redirect URIs', args: ['--name', 'App', ...many(25)],
      stderr: 'orgoctl: --redirect-uri: at most 20 redirect URIs are allowed\n' },
    { label: 'duplicate redirect URI',
      args: ['--name', 'App', '--redirect-uri', 'https://app.example.com/cb', '--redirect-uri', 'https://app.example.com/cb'],
      stderr: 'orgoctl: --redirect-uri: line 2: duplicate of line 1\n' },
    { label: 'fragment', args: ['--name', 'App', '--redirect-uri', 'https://app.example.com/cb#top'],
      stderr: 'orgoctl: --redirect-uri: line 1: redirect URI must not contain a fragment (#...)\n' },
    { label: 'wildcard', args: ['--name', 'App', '--redirect-uri', 'https://*.example.com/cb'],
      stderr: 'orgoctl: --redirect-uri: line 1: redirect URI must not contain a wildcard (*)\n' },
    { label: 'http on a public host', args: ['--name', 'App', '--redirect-uri', 'http://app.example.com/cb'],
      stderr: 'orgoctl: --redirect-uri: line 1: redirect URI must use https, except http on 127.0.0.1, [::1] or localhost\n' },
    { label: 'uppercase scheme', args: ['--name', 'App', '--redirect-uri', 'HTTPS://app.example.com/cb'],
      stderr: 'orgoctl: --redirect-uri: line 1: redirect URI scheme "HTTPS" must be written in lowercase, as "https"\n' },
    { label: 'unknown scope', args: ['--name', 'App', '--redirect-uri', 'https://app.example.com/cb', '--scope', 'admin'],
      stderr: 'orgoctl: --scope: unknown scope "admin": choose from profile, email, groups, roles\n' },
    { label: 'several bad fields', args: ['--name', '', '--redirect-uri', 'javascript:alert(1)', '--scope', 'admin'],
      stderr: 'orgoctl: --name: Name is required\n'
        + 'orgoctl: --redirect-uri: line 1: redirect URI must use https, or a reverse-domain scheme such as com.example.app for a native app, not "javascript"\n'
        + 'orgoctl: --scope: unknown scope "admin": choose from profile, email, groups, roles\n' },
  ];

  for (const c of cases) {
    test(`rejects ${c.label}`, async () => {
      const countsBefore = await countRows();
      const res = run(['app', 'add', ...c.args]);
      assert.equal(res.status, 1);
      assert.equal(res.stderr, c.stderr);
      assert.equal(res.stdout, '');
      assert.deepEqual(await countRows(), countsBefore, 'nothing was stored');
    });
  }

  test('missing --name prints usage', () => {
    const res = run(['app', 'add', '--redirect-uri', 'https://app.example.com/cb']);
    assert.equal(res.status, 2);
    assert.match(res.stderr, /^usage: orgoctl app add --name N \[--redirect-uri U\]\.\.\./);
  });
});

describe('app list and show', () => {
  test('list --json has exactly the expected fields', async () => {
    await server.query('DELETE FROM clients');
    const first = addJson(['--name', 'First', '--redirect-uri', 'https://first.example.com/cb', '--description', 'One']);
    const second = addJson(['--name', 'Second', '--redirect-uri', 'com.example.second:/cb', '--scope', 'roles', '--public']);

    const res = run(['app', 'list', '--json']);
    assert.equal(res.status, 0, res.stderr);
    const list = JSON.parse(res.stdout);
    assert.equal(list.length, 2);
    for (const item of list) {
      assert.match(item.created_at, ISO_UTC);
      delete item.created_at;
    }
    assert.deepEqual(list, [
      {
        client_id: first.client_id, name: 'First', client_type: 'confidential',
        redirect_uris: ['https://first.example.com/cb'], allowed_scopes: 'openid', description: 'One',
        last_used_at: null, allowed_device_grant: false,
      },
      {
        client_id: second.client_id, name: 'Second', client_type: 'public',
        redirect_uris: ['com.example.second:/cb'], allowed_scopes: 'openid roles', description: '',
        last_used_at: null, allowed_device_grant: false,
      },
    ]);
    assert.equal(res.stdout.includes('secret'), false, 'no secret or hash is listed');
  });

  test('list text says when there is no app', async () => {
    await server.query('DELETE FROM clients');
    const res = run(['app', 'list']);
    assert.equal(res.status, 0);
    assert.equal(res.stdout, '');
    assert.equal(res.stderr, 'orgoctl: no applications registered\n');
    assert.equal(run(['app', 'list', '--json']).stdout, '[]\n');
  });

  test('list text has one line per app', async () => {
    await server.query('DELETE FROM clients');
    const app = addJson(['--name', 'Only', '--redirect-uri', 'https://only.example.com/cb', '--scope', 'email']);
    const res = run(['app', 'list']);
    assert.equal(res.status, 0, res.stderr);
    assert.equal(res.stdout,
      `${app.client_id.padEnd(24)} ${'confidential'.padEnd(13)} ${'Only'.padEnd(30)} scopes=openid email redirect_uris=["https://only.example.com/cb"]\n`);
  });

  test('show --json has exactly the expected fields', async () => {
    const app = addJson(['--name', 'Shown', '--redirect-uri', 'https://shown.example.com/cb',
      '--redirect-uri', 'https://shown.example.com/cb2', '--scope', 'profile']);
    await server.query("UPDATE clients SET last_used_at = '2026-01-02 03:04:05+00' WHERE client_id = $1", [app.client_id]);

    const res = run(['app', 'show', app.client_id, '--json']);
    assert.equal(res.status, 0, res.stderr);
    const shown = JSON.parse(res.stdout);
    assert.match(shown.created_at, ISO_UTC);
    delete shown.created_at;
    assert.deepEqual(shown, {
      client_id: app.client_id,
      name: 'Shown',
      client_type: 'confidential',
      redirect_uris: ['https://shown.example.com/cb', 'https://shown.example.com/cb2'],
      allowed_scopes: 'openid profile',
      description: '',
      last_used_at: '2026-01-02T03:04:05Z',
      allowed_device_grant: false,
    });
  });

  test('show of an unknown client_id fails', () => {
    const res = run(['app', 'show', 'no-such-client-id-00']);
    assert.equal(res.status, 1);
    assert.equal(res.stderr, "orgoctl: no application with client_id 'no-such-client-id-00'\n");
    assert.equal(res.stdout, '');
  });
});

describe('app rotate-secret', () => {
  test('new secret replaces the stored hash', async () => {
    const app = addJson(['--name', 'Rotated', '--redirect-uri', 'https://rotated.example.com/cb']);

    const res = run(['app', 'rotate-secret', app.client_id, '--json']);
    assert.equal(res.status, 0, res.stderr);
    const out = JSON.parse(res.stdout);
    assert.deepEqual(Object.keys(out).sort(), ['client_id', 'client_secret']);
    assert.equal(out.client_id, app.client_id);
    assert.match(out.client_secret, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(out.client_secret, app.client_secret);

    const row = await clientRow(app.client_id);
    assert.equal(row.secret_hash, sha256(out.client_secret));
    assert.ok(row.secret_rotated_at, 'secret_rotated_at is set');

    const audit = await auditRows('client_secret_rotated', app.client_id);
    assert.equal(audit.length, 1);
    assert.deepEqual(audit[0].details, { via: 'orgoctl' });
  });

  test('text output shows the new secret', async () => {
    const app = addJson(['--name', 'Rotated Text', '--redirect-uri', 'https://rotated.example.com/cb']);
    const res = run(['app', 'rotate-secret', app.client_id]);
    assert.equal(res.status, 0, res.stderr);
    const m = /^client_secret: ([A-Za-z0-9_-]{43}) {3}\(shown once: store it now\)\n$/.exec(res.stdout);
    assert.ok(m, `unexpected output:\n${res.stdout}`);
    assert.equal((await clientRow(app.client_id)).secret_hash, sha256(m[1]));
  });

  test('public app has no secret to rotate', async () => {
    const app = addJson(['--name', 'Public', '--redirect-uri', 'com.example.app:/cb', '--public']);
    const res = run(['app', 'rotate-secret', app.client_id]);
    assert.equal(res.status, 1);
    assert.equal(res.stderr, `orgoctl: no confidential application with client_id '${app.client_id}'\n`);
    assert.equal((await clientRow(app.client_id)).secret_hash, null);
    assert.equal((await auditRows('client_secret_rotated', app.client_id)).length, 0);
  });

  test('unknown client_id fails', () => {
    const res = run(['app', 'rotate-secret', 'no-such-client-id-00']);
    assert.equal(res.status, 1);
    assert.equal(res.stderr, "orgoctl: no confidential application with client_id 'no-such-client-id-00'\n");
  });
});

describe('app delete', () => {
  test('removes the row and audits it', async () => {
    const app = addJson(['--name', 'Doomed', '--redirect-uri', 'https://doomed.example.com/cb']);
    const res = run(['app', 'delete', app.client_id]);
    assert.equal(res.status, 0, res.stderr);
    assert.equal(res.stdout, `deleted application ${app.client_id}\n`);
    assert.equal(await clientRow(app.client_id), undefined);

    const audit = await auditRows('client_deleted', app.client_id);
    assert.equal(audit.length, 1);
    assert.deepEqual(audit[0].details, { name: 'Doomed', via: 'orgoctl' });
  });

  test('unknown client_id fails', async () => {
    const countsBefore = await countRows();
    const res = run(['app', 'delete', 'no-such-client-id-00']);
    assert.equal(res.status, 1);
    assert.equal(res.stderr, "orgoctl: no application with client_id 'no-such-client-id-00'\n");
    assert.deepEqual(await countRows(), countsBefore);
  });

  test('missing client_id prints an error', () => {
    const res = run(['app', 'delete']);
    assert.equal(res.status, 2);
    assert.equal(res.stderr, 'orgoctl: give one client_id\n');
  });
});
