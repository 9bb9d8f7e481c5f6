// orgoctl member: the operator's commands for members, run on a test
// server's database. Passwords are checked by signing in through the real
// server over HTTPS.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { startServer, ROOT } from '../helpers/server.js';
import { Agent } from '../helpers/http.js';

let server;

before(async () => {
  server = await startServer();
});
after(async () => server?.stop());

// Runs build/orgoctl and returns its exit status and output, also on failure.
function orgoctl(args, input = '') {
  const res = spawnSync(path.join(ROOT, 'build/orgoctl'), args, {
    env: server.env, input, encoding: 'utf8', timeout: 30000,
  });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

function add(email, name, extra = [], password = 'a long test password') {
  const res = orgoctl(['member', 'add', '--email', email, '--name', name, '--password-stdin', '--json', ...extra],
    `${password}\n`);
  assert.equal(res.status, 0, res.stderr);
  return { ...JSON.parse(res.stdout), password };
}

async function signInStatus(email, password) {
  return (await new Agent(server.url).signIn(email, password)).status;
}

async function member(email) {
  const res = await server.query(
    `SELECT m.*, ARRAY(SELECT r.name FROM member_roles mr JOIN roles r ON r.id = mr.role_id
       WHERE mr.member_id = m.id ORDER BY r.name) AS roles,
     ARRAY(SELECT g.name FROM member_groups mg JOIN groups g ON g.id = mg.group_id
       WHERE mg.member_id = m.id ORDER BY g.name) AS groups
     FROM members m WHERE m.email_key = lower($1)`, [email]);
  return res.rows[0];
}

// Returns the audit records of member changes, without the sign-in
// records that have the same target.
async function auditActions(id) {
  return (await server.query(
    "SELECT action, actor_member_id, details FROM audit_log WHERE target = $1 AND action LIKE 'member\\_%' ORDER BY id",
    [`member:${id}`])).rows;
}

async function memberCount() {
  return (await server.query('SELECT count(*)::int AS n FROM members')).rows[0].n;
}

const GENERATED = /^[a-km-zA-HJ-NP-Z2-9]{20}$/;

describe('member add', () => {
  test('password from stdin', async () => {
    const res = orgoctl(['member', 'add', '--email', 'olga@example.org', '--name', 'Olga', '--password-stdin', '--json'],
      'olga secret password\n');
    assert.equal(res.status, 0, res.stderr);
    assert.equal(res.stderr, '');
    const out = JSON.parse(res.stdout);
    assert.deepEqual(Object.keys(out), ['id', 'email', 'name']);
    assert.match(out.id, /^\d+$/);
    assert.equal(out.email, 'olga@example.org');
    assert.equal(out.name, 'Olga');

    const row = await member('olga@example.org');
    assert.equal(String(row.id), out.id);
    assert.equal(row.email_verified, false);
    assert.equal(row.status, 'active');
    assert.deepEqual(row.roles, ['MEMBER']);
    assert.match(row.password_hash, /^\$argon2id\$/);
    assert.equal(await signInStatus('olga@example.org', 'olga secret password'), 303);

    const audit = await auditActions(out.id);
    assert.deepEqual(audit.map((a) => a.action), ['member_created']);
    assert.equal(audit[0].actor_member_id, null);
    assert.deepEqual(audit[0].details, { via: 'orgoctl' });
  });

  test('generated password in JSON', async () => {
    const res = orgoctl(['member', 'add', '--email', 'gen@example.org', '--name', 'Gen', '--verified',
      '--role', 'EDITOR', '--group', 'Design', '--group', 'Berlin office', '--json']);
    assert.equal(res.status, 0, res.stderr);
    const out = JSON.parse(res.stdout);
    assert.deepEqual(Object.keys(out), ['id', 'email', 'name', 'password']);
    assert.match(out.password, GENERATED);

    const row = await member('gen@example.org');
    assert.equal(row.email_verified, true);
    assert.deepEqual(row.roles, ['EDITOR', 'MEMBER']);
    assert.deepEqual(row.groups, ['Berlin office', 'Design']);
    assert.equal(await signInStatus('gen@example.org', out.password), 303);
  });

  test('generated password in text', async () => {
    const res = orgoctl(['member', 'add', '--email', 'text@example.org', '--name', 'Text Person']);
    assert.equal(res.status, 0, res.stderr);
    const m = /^created member Text Person <text@example\.org> \(id (\d+)\)\npassword \(shown once\): (\S+)\n$/.exec(res.stdout);
    assert.ok(m, res.stdout);
    assert.match(m[2], GENERATED);
    assert.equal(await signInStatus('text@example.org', m[2]), 303);
  });

  test('duplicate email is rejected', async () => {
    add('dup@example.org', 'Dup');
    const before = await memberCount();
    const res = orgoctl(['member', 'add', '--email', 'DUP@Example.org', '--name', 'Dup Two', '--password-stdin'],
      'another long password\n');
    assert.equal(res.status, 1);
    assert.equal(res.stdout, '');
    assert.equal(res.stderr, "orgoctl: a member with email 'DUP@Example.org' already exists\n");
    assert.equal(await memberCount(), before);
  });

  test('invalid email is rejected', async () => {
    const before = await memberCount();
    const res = orgoctl(['member', 'add', '--email', 'not-an-email', '--name', 'Nobody']);
    assert.equal(res.status, 1);
    assert.equal(res.stderr, 'orgoctl: --email: email address must contain exactly one @\n');
    assert.equal(await memberCount(), before);
  });

  test('short password from stdin is rejected', async () => {
    const res = orgoctl(['member', 'add', '--email', 'short@example.org', '--name', 'Short', '--password-stdin'],
      'short\n');
    assert.equal(res.status, 1);
    assert.equal(res.stderr, 'orgoctl: password must be at least 10 characters long\n');
    assert.equal(await member('short@example.org'), undefined);
  });

  test('missing name prints usage', () => {
    const res = orgoctl(['member', 'add', '--email', 'noname@example.org']);
    assert.equal(res.status, 2);
    assert.match(res.stderr, /^usage: orgoctl member add --email E --name N/);
  });
});

describe('member list', () => {
  test('JSON has exact fields', async () => {
    const ruth = add('ruth@example.org', 'Ruth', ['--verified', '--role', 'AUDITOR', '--group', 'Finance']);
    const res = orgoctl(['member', 'list', '--json']);
    assert.equal(res.status, 0, res.stderr);
    const list = JSON.parse(res.stdout);
    assert.ok(Array.isArray(list));
    const ids = list.map((m) => m.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'ordered by id');

    const item = list.find((m) => m.email === 'ruth@example.org');
    const row = await member('ruth@example.org');
    assert.deepEqual(item, {
      id: Number(ruth.id), subject: row.subject, email: 'ruth@example.org', name: 'Ruth', status: 'active',
      email_verified: true, roles: ['AUDITOR', 'MEMBER'], groups: ['Finance'],
    });
    assert.deepEqual(Object.keys(item), ['id', 'subject', 'email', 'name', 'status', 'email_verified', 'roles', 'groups']);
    assert.match(item.subject, /^[A-Za-z0-9_-]{22}$/);
    assert.doesNotMatch(res.stdout, /argon2|password/);
  });

  test('text lists one member per line', () => {
    add('tina@example.org', 'Tina', ['--group', 'Ops']);
    const res = orgoctl(['member', 'list']);
    assert.equal(res.status, 0, res.stderr);
    const line = res.stdout.split('\n').find((l) => l.includes('tina@example.org'));
    assert.match(line, /^\d+\s+tina@example\.org\s+Tina\s+active\s+roles=\["MEMBER"\] groups=\["Ops"\]$/);
  });
});

describe('member set-password', () => {
  test('new password from stdin ends sessions', async () => {
    const sam = add('sam@example.org', 'Sam');
    const agent = new Agent(server.url);
    assert.equal((await agent.signIn(sam.email, sam.password)).status, 303);

    const res = orgoctl(['member', 'set-password', '--email', sam.email, '--password-stdin'], 'sam new password\n');
    assert.equal(res.status, 0, res.stderr);
    assert.equal(res.stdout, 'password changed for sam@example.org\n');
    assert.equal(await signInStatus(sam.email, sam.password), 401, 'old password fails');
    assert.equal(await signInStatus(sam.email, 'sam new password'), 303, 'new password works');
    assert.equal((await agent.get('/settings')).status, 303, 'the old session ended');
    assert.ok((await auditActions(sam.id)).some((a) => a.action === 'member_password_set'));
  });

  test('generated password in JSON', async () => {
    const una = add('una@example.org', 'Una');
    const res = orgoctl(['member', 'set-password', '--email', 'UNA@example.org', '--json']);
    assert.equal(res.status, 0, res.stderr);
    const out = JSON.parse(res.stdout);
    assert.deepEqual(Object.keys(out), ['id', 'email', 'password']);
    assert.equal(out.id, una.id);
    assert.match(out.password, GENERATED);
    assert.equal(await signInStatus(una.email, out.password), 303);
  });

  test('unknown member is an error', () => {
    const res = orgoctl(['member', 'set-password', '--email', 'nobody@example.org']);
    assert.equal(res.status, 1);
    assert.equal(res.stderr, "orgoctl: no member with email 'nobody@example.org'\n");
  });
});

describe('member disable and enable', () => {
  test('disable blocks sign-in and enable restores it', async () => {
    const vic = add('vic@example.org', 'Vic');
    const agent = new Agent(server.url);
    await agent.signIn(vic.email, vic.password);

    const off = orgoctl(['member', 'disable', '--email', vic.email]);
    assert.equal(off.status, 0, off.stderr);
    assert.equal(off.stdout, 'member vic@example.org is now disabled\n');
    assert.equal((await member(vic.email)).status, 'disabled');
    assert.equal((await agent.get('/settings')).status, 303, 'the session ended');
    assert.equal(await signInStatus(vic.email, vic.password), 401);

    const on = orgoctl(['member', 'enable', '--email', vic.email, '--json']);
    assert.equal(on.status, 0, on.stderr);
    assert.deepEqual(JSON.parse(on.stdout), { id: vic.id, status: 'active' });
    assert.equal((await member(vic.email)).status, 'active');
    assert.equal(await signInStatus(vic.email, vic.password), 303);

    const actions = (await auditActions(vic.id)).map((a) => a.action);
    assert.deepEqual(actions, ['member_created', 'member_disabled', 'member_enabled']);
  });
});

describe('member roles and groups', () => {
  test('add-role and remove-role', async () => {
    const wes = add('wes@example.org', 'Wes');
    const added = orgoctl(['member', 'add-role', '--email', wes.email, '--role', 'AUDITOR', '--role', 'ADMIN_TENANT']);
    assert.equal(added.status, 0, added.stderr);
    assert.equal(added.stdout, 'updated wes@example.org\n');
    assert.deepEqual((await member(wes.email)).roles, ['ADMIN_TENANT', 'AUDITOR', 'MEMBER']);

    const removed = orgoctl(['member', 'remove-role', '--email', wes.email, '--role', 'AUDITOR']);
    assert.equal(removed.status, 0, removed.stderr);
    assert.deepEqual((await member(wes.email)).roles, ['ADMIN_TENANT', 'MEMBER']);

    const audit = (await auditActions(wes.id)).filter((a) => a.action.startsWith('member_role'));
    assert.deepEqual(audit.map((a) => [a.action, a.details]), [
      ['member_role_added', { role: 'AUDITOR', via: 'orgoctl' }],
      ['member_role_removed', { role: 'AUDITOR', via: 'orgoctl' }],
    ]);
  });

  test('add-group and remove-group', async () => {
    const xia = add('xia@example.org', 'Xia');
    const added = orgoctl(['member', 'add-group', '--email', xia.email, '--group', 'Design', '--group', 'Night shift']);
    assert.equal(added.status, 0, added.stderr);
    assert.deepEqual((await member(xia.email)).groups, ['Design', 'Night shift']);

    const removed = orgoctl(['member', 'remove-group', '--email', xia.email, '--group', 'Design']);
    assert.equal(removed.status, 0, removed.stderr);
    assert.deepEqual((await member(xia.email)).groups, ['Night shift']);
    const groups = (await server.query("SELECT name FROM groups WHERE name = 'Design'")).rows;
    assert.equal(groups.length, 1, 'the group itself stays');

    const audit = (await auditActions(xia.id)).filter((a) => a.action.startsWith('member_group'));
    assert.deepEqual(audit.map((a) => a.action), ['member_group_added', 'member_group_removed']);
  });

  test('invalid group name is rejected', async () => {
    const yan = add('yan@example.org', 'Yan');
    const res = orgoctl(['member', 'add-group', '--email', yan.email, '--group', '!bad']);
    assert.equal(res.status, 2);
    assert.equal(res.stderr, 'orgoctl: invalid group "!bad": use letters, digits, spaces, ' +
      "'.', '_' and '-', and start with a letter or digit\n");
    assert.deepEqual((await member(yan.email)).groups, []);
  });

  test('invalid role name is rejected', async () => {
    const before = await memberCount();
    const res = orgoctl(['member', 'add', '--email', 'zoe@example.org', '--name', 'Zoe',
      '--password-stdin', '--role', 'auditor'], 'a long test password\n');
    assert.equal(res.status, 2);
    assert.equal(res.stderr, 'orgoctl: invalid role "auditor": use capital letters A-Z, ' +
      'digits and _, and start with a letter\n');
    assert.equal(await memberCount(), before);
  });

  test('role without --role prints usage', () => {
    const res = orgoctl(['member', 'add-role', '--email', 'wes@example.org']);
    assert.equal(res.status, 2);
    assert.equal(res.stderr, 'orgoctl: give at least one --role\n');
  });
});
