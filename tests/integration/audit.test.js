// The audit log: Settings → Audit log over HTTPS against the real server
// (records of real events, filters, paging, access, invalid filters,
// escaping and redaction) and `orgoctl audit tail` (text, JSON, --follow).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { startServer, dbClient, ROOT } from '../helpers/server.js';
import { Agent, addMember, csrfToken, orgoctl } from '../helpers/http.js';
import { authorize, redeemCode, refresh } from '../helpers/oauth.js';

const PAGE = '/settings/audit-log';
const APPS = '/settings/developers/oauth-applications';
const ORGOCTL = path.join(ROOT, 'build/orgoctl');
const JSON_FIELDS = ['id', 'at', 'action', 'actor_id', 'actor_email', 'actor_name', 'target', 'address', 'details'];

let server;
let admin;
let mia;

before(async () => {
  server = await startServer();
  admin = addMember(server, { email: 'admin@example.org', name: 'Ada Admin', roles: ['ADMIN_TENANT'] });
  mia = addMember(server, { email: 'mia@example.org', name: 'Mia Member' });
});
after(async () => server?.stop());

async function signedIn(person) {
  const agent = new Agent(server.url);
  const res = await agent.signIn(person.email, person.password);
  assert.equal(res.status, 303, `${person.email} signs in`);
  return agent;
}

function unescapeHtml(s) {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

// The text of a table cell: <br> becomes a line break and other tags are removed.
function cellText(html) {
  return unescapeHtml(html.replace(/<br>/g, '\n').replace(/<[^>]+>/g, '')).trim();
}

// The records of an audit log page, in page order.
function pageRows(html) {
  const rows = [];
  for (const m of html.matchAll(/<tr data-id="(\d+)">([\s\S]*?)<\/tr>/g)) {
    const cells = [...m[2].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => cellText(c[1]));
    assert.equal(cells.length, 7, `record ${m[1]} has 7 cells`);
    const [words, action] = cells[2].split('\n');
    rows.push({
      id: m[1], time: cells[0], actor: cells[1], words, action, outcome: cells[3],
      target: cells[4], address: cells[5], details: cells[6],
    });
  }
  return rows;
}

// The href of the pager link 'rel' (prev or next), or null when hidden.
function pagerHref(html, rel) {
  const m = new RegExp(`<a class="([^"]*)" href="([^"]*)" rel="${rel}">`).exec(html);
  assert.ok(m, `the page has a ${rel} link`);
  return m[1].includes('hidden') ? null : unescapeHtml(m[2]);
}

async function auditPage(agent, query = {}) {
  const qs = new URLSearchParams(query).toString();
  const res = await agent.get(qs ? `${PAGE}?${qs}` : PAGE);
  assert.equal(res.status, 200, `GET ${PAGE}?${qs}: ${res.text_.slice(0, 300)}`);
  return res;
}

// Every record the filters select, following the next links.
async function allRows(agent, query = {}) {
  let res = await auditPage(agent, query);
  const rows = pageRows(res.text_);
  for (let pages = 1; pagerHref(res.text_, 'next') !== null; pages++) {
    assert.ok(pages < 100, 'paging ends');
    res = await agent.get(pagerHref(res.text_, 'next'));
    assert.equal(res.status, 200);
    rows.push(...pageRows(res.text_));
  }
  return rows;
}

// Runs build/orgoctl and returns its exit status and output, also on failure.
function orgoctlRun(args) {
  const res = spawnSync(ORGOCTL, args, { env: server.env, encoding: 'utf8', timeout: 30000 });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

function tailJson(args) {
  const res = orgoctlRun(['audit', 'tail', '--json', ...args]);
  assert.equal(res.status, 0, res.stderr);
  return res.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
}

async function insertAudit(rows) {
  const ids = [];
  for (const r of rows) {
    const res = await server.query(
      `INSERT INTO audit_log (at, actor_member_id, action, target, address, details)
       VALUES (COALESCE($1::timestamptz, now()), $2, $3, $4, $5, COALESCE($6::jsonb, '{}')) RETURNING id::text`,
      [r.at ?? null, r.actor ?? null, r.action, r.target ?? null, r.address ?? null,
        r.details === undefined ? null : JSON.stringify(r.details)]);
    ids.push(res.rows[0].id);
  }
  return ids;
}

describe('access', () => {
  test('redirects to sign-in without a session', async () => {
    const res = await new Agent(server.url).get(PAGE);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `/login?return_to=${encodeURIComponent(PAGE)}`);
  });

  test('MEMBER gets 403', async () => {
    const agent = await signedIn(mia);
    const res = await agent.get(PAGE);
    assert.equal(res.status, 403);
    assert.match(res.text_, /This page is for administrators \(role ADMIN_TENANT\)\./);
    assert.doesNotMatch(res.text_, /data-id=/);
  });

  test('ADMIN_TENANT gets the page', async () => {
    const agent = await signedIn(admin);
    const res = await auditPage(agent);
    assert.match(res.text_, /<h1>Audit log<\/h1>/);
    assert.match(res.text_, /<option value="">All actions<\/option>/);
    assert.match((await agent.get('/settings')).text_, /href="\/settings\/audit-log"/);
  });
});

describe('recorded events', () => {
  test('failed and successful sign-ins', async () => {
    const failed = await new Agent(server.url).signIn(admin.email, 'not the password');
    assert.equal(failed.status, 401);
    const unknown = await new Agent(server.url).signIn('nobody@example.org', 'not the password');
    assert.equal(unknown.status, 401);
    const agent = await signedIn(admin);

    const failures = pageRows((await auditPage(agent, { action: 'sign_in_failed' })).text_);
    const mine = failures.find((r) => r.target === 'email:admin@example.org');
    assert.ok(mine, 'the failed sign-in of the admin is listed');
    assert.equal(mine.actor, 'Ada Admin\nadmin@example.org');
    assert.equal(mine.words, 'Sign-in failed');
    assert.equal(mine.action, 'sign_in_failed');
    assert.equal(mine.outcome, 'failed');
    assert.equal(mine.address, '127.0.0.1');
    assert.equal(mine.details, 'locked: false');
    assert.match(mine.time, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);

    const stranger = failures.find((r) => r.target === 'email:nobody@example.org');
    assert.ok(stranger, 'the failed sign-in of an unknown email is listed');
    assert.equal(stranger.actor, 'unknown');

    const signIns = pageRows((await auditPage(agent, { action: 'sign_in' })).text_);
    assert.ok(signIns.length >= 1);
    assert.equal(signIns[0].actor, 'Ada Admin\nadmin@example.org');
    assert.equal(signIns[0].target, `member:${admin.id}\nadmin@example.org`);
    assert.equal(signIns[0].words, 'Signed in');
    assert.equal(signIns[0].outcome, 'succeeded');
    assert.equal(signIns[0].address, '127.0.0.1');
  });

  test('sign-in lock shows in the outcome', async () => {
    const email = 'locked@example.org';
    addMember(server, { email, name: 'Lou Locked' });
    for (let i = 0; i < 5; i++) await new Agent(server.url).signIn(email, 'wrong password');
    const agent = await signedIn(admin);
    const rows = pageRows((await auditPage(agent, { action: 'sign_in_failed', target: `email:${email}` })).text_);
    assert.equal(rows.length, 5);
    assert.equal(rows[0].outcome, 'failed, sign-in locked');
    assert.equal(rows[0].details, 'locked: true');
    assert.equal(rows[4].outcome, 'failed');
  });

  test('app created by an admin through the form', async () => {
    const agent = await signedIn(admin);
    const form = await agent.get(`${APPS}/new`);
    const res = await agent.post(`${APPS}/new`, [['csrf_token', csrfToken(form.text_)], ['name', 'Audit Portal'],
      ['description', ''], ['redirect_uris', 'https://audit.example.com/cb'], ['scope', 'profile'],
      ['client_type', 'public']]);
    assert.equal(res.status, 200, res.text_.slice(0, 300));
    const clientId = /<code id="client-id">([^<]*)<\/code>/.exec(res.text_)[1];

    const rows = pageRows((await auditPage(agent, { target: `client:${clientId}` })).text_);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].action, 'client_created');
    assert.equal(rows[0].words, 'App created');
    assert.equal(rows[0].actor, 'Ada Admin\nadmin@example.org');
    assert.equal(rows[0].target, `client:${clientId}`);
    assert.equal(rows[0].outcome, 'succeeded');
    assert.equal(rows[0].details, 'name: "Audit Portal", client_type: public, redirect_uris: '
      + '[https://audit.example.com/cb], allowed_scopes: "openid profile"');
  });

  test('app created through orgoctl', async () => {
    const app = JSON.parse(orgoctl(server, ['app', 'add', '--name', 'Cli App', '--redirect-uri',
      'https://cli.example.com/cb', '--public', '--json']));
    const agent = await signedIn(admin);
    const rows = pageRows((await auditPage(agent, { target: `client:${app.client_id}` })).text_);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].action, 'client_created');
    assert.equal(rows[0].actor, 'orgoctl');
    assert.match(rows[0].details, /^via: orgoctl, name: "Cli App", /);
  });

  test('role change through orgoctl member add-role', async () => {
    orgoctl(server, ['member', 'add-role', '--email', mia.email, '--role', 'AUDITOR']);
    const agent = await signedIn(admin);
    const rows = pageRows((await auditPage(agent, { action: 'member_role_added' })).text_);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].words, 'Role added');
    assert.equal(rows[0].actor, 'orgoctl');
    assert.equal(rows[0].target, `member:${mia.id}\nmia@example.org`);
    assert.equal(rows[0].details, 'via: orgoctl, role: AUDITOR');
    assert.equal(rows[0].outcome, 'succeeded');
  });
});

describe('filters', () => {
  let dated;

  before(async () => {
    dated = await insertAudit([
      { at: '2021-03-14T23:59:59.999Z', action: 'date_test', target: 'date:a' },
      { at: '2021-03-15T00:00:00Z', action: 'date_test', target: 'date:b' },
      { at: '2021-03-15T23:59:59.999Z', action: 'date_test', target: 'date:c' },
      { at: '2021-03-16T00:00:00Z', action: 'date_test', target: 'date:d' },
    ]);
  });

  test('by action', async () => {
    const agent = await signedIn(admin);
    const res = await auditPage(agent, { action: 'date_test' });
    const rows = pageRows(res.text_);
    assert.deepEqual(rows.map((r) => r.target), ['date:d', 'date:c', 'date:b', 'date:a']);
    assert.match(res.text_, /<option value="date_test" selected>date_test<\/option>/);
    assert.match(res.text_, /<option value="sign_in">Signed in \(sign_in\)<\/option>/);
  });

  test('by an action without records', async () => {
    const agent = await signedIn(admin);
    const res = await auditPage(agent, { action: 'no_such_action' });
    assert.deepEqual(pageRows(res.text_), []);
    assert.match(res.text_, /No audit record matches these filters\./);
    assert.match(res.text_, /<option value="no_such_action" selected>no_such_action<\/option>/);
  });

  test('by dates, UTC and inclusive', async () => {
    const agent = await signedIn(admin);
    const targets = async (query) => pageRows((await auditPage(agent, { action: 'date_test', ...query })).text_)
      .map((r) => r.target);
    assert.deepEqual(await targets({ from: '2021-03-15', to: '2021-03-15' }), ['date:c', 'date:b']);
    assert.deepEqual(await targets({ from: '2021-03-15' }), ['date:d', 'date:c', 'date:b']);
    assert.deepEqual(await targets({ to: '2021-03-14' }), ['date:a']);
    assert.deepEqual(await targets({ from: '2021-03-17' }), []);
    const row = pageRows((await auditPage(agent, { action: 'date_test', to: '2021-03-14' })).text_)[0];
    assert.equal(row.time, '2021-03-14 23:59:59');
    assert.equal(row.id, dated[0]);
  });

  test('by actor email, in any letter case', async () => {
    const agent = await signedIn(admin);
    const rows = await allRows(agent, { actor: ' ADMIN@Example.org ' });
    assert.ok(rows.length >= 2);
    for (const r of rows) assert.equal(r.actor, 'Ada Admin\nadmin@example.org');
    const adminRows = await server.query('SELECT count(*)::int AS n FROM audit_log WHERE actor_member_id = $1',
      [admin.id]);
    assert.equal(rows.length, adminRows.rows[0].n);

    const none = await auditPage(agent, { actor: 'stranger@example.org' });
    assert.deepEqual(pageRows(none.text_), []);
  });

  test('by target prefix, taken literally', async () => {
    const agent = await signedIn(admin);
    const rows = await allRows(agent, { target: 'client:' });
    assert.ok(rows.length >= 2);
    for (const r of rows) assert.ok(r.target.startsWith('client:'), r.target);
    const stored = await server.query("SELECT count(*)::int AS n FROM audit_log WHERE target LIKE 'client:%'");
    assert.equal(rows.length, stored.rows[0].n);

    assert.deepEqual(pageRows((await auditPage(agent, { target: '%' })).text_), []);
    assert.deepEqual(pageRows((await auditPage(agent, { target: 'date:_' })).text_), []);
  });

  test('filters combine and the form keeps them', async () => {
    const agent = await signedIn(admin);
    const res = await auditPage(agent, { action: 'date_test', target: 'date:c', from: '2021-03-01', to: '2021-03-31' });
    assert.deepEqual(pageRows(res.text_).map((r) => r.target), ['date:c']);
    assert.match(res.text_, /name="target" type="text" maxlength="300" value="date:c"/);
    assert.match(res.text_, /name="from" type="date" value="2021-03-01"/);
    assert.match(res.text_, /name="to" type="date" value="2021-03-31"/);
  });

  test('invalid filter values get 400 naming the field', async () => {
    const agent = await signedIn(admin);
    const cases = [
      ['action=Sign_In', /action must be an action name/],
      ['action=sign-in', /action must be an action name/],
      [`action=${'a'.repeat(65)}`, /action is longer than 64 bytes/],
      ['action=sign_in&action=sign_out', /action is given more than once/],
      ['actor=admin', /actor must be the email address of a member/],
      [`actor=${'a'.repeat(250)}%40example.org`, /actor is longer than 254 bytes/],
      [`target=${'t'.repeat(301)}`, /target is longer than 300 bytes/],
      ['from=2021-3-15', /from must be a date in the form YYYY-MM-DD/],
      ['from=2021-13-01', /from must be a date in the form YYYY-MM-DD/],
      ['to=2021-02-29', /to must be a date in the form YYYY-MM-DD/],
      ['to=0000-01-01', /to must be a date in the form YYYY-MM-DD/],
      ['to=2021-03-15T00:00', /to is longer than 10 bytes/],
      ['from=2021-03-16&to=2021-03-15', /from must not be after to/],
      ['before=abc', /before must be a record id/],
      ['before=0', /before must be a record id/],
      [`after=${'9'.repeat(19)}`, /after is longer than 18 bytes/],
      ['before=1&after=2', /before and after cannot be given together/],
      ['target=%ZZ', /target/],
    ];
    for (const [query, message] of cases) {
      const res = await agent.get(`${PAGE}?${query}`);
      assert.equal(res.status, 400, query);
      assert.match(res.text_, /Invalid filter/, query);
      assert.match(unescapeHtml(res.text_), message, query);
    }
    assert.equal((await agent.get(`${PAGE}?to=2024-02-29`)).status, 200, 'a leap day is a date');
  });
});

describe('paging', () => {
  test('50 a page, newest first, previous and next keep filters', async () => {
    await server.query(`INSERT INTO audit_log (action, target)
      SELECT 'paging_test', 'paging:' || g FROM generate_series(1, 120) g`);
    const expected = (await server.query(
      "SELECT a.id::text FROM audit_log a WHERE a.action = 'paging_test' ORDER BY a.at DESC, a.id DESC"))
      .rows.map((r) => r.id);
    const agent = await signedIn(admin);

    const first = await auditPage(agent, { action: 'paging_test' });
    const page1 = pageRows(first.text_);
    assert.deepEqual(page1.map((r) => r.id), expected.slice(0, 50));
    assert.equal(pagerHref(first.text_, 'prev'), null);
    assert.match(first.text_, /50 records on this page, newest first\./);

    const next1 = pagerHref(first.text_, 'next');
    assert.equal(next1, `${PAGE}?action=paging_test&before=${expected[49]}`);
    const second = await agent.get(next1);
    assert.deepEqual(pageRows(second.text_).map((r) => r.id), expected.slice(50, 100));

    const third = await agent.get(pagerHref(second.text_, 'next'));
    assert.deepEqual(pageRows(third.text_).map((r) => r.id), expected.slice(100));
    assert.equal(pagerHref(third.text_, 'next'), null);

    const back = await agent.get(pagerHref(third.text_, 'prev'));
    assert.equal(pagerHref(third.text_, 'prev'), `${PAGE}?action=paging_test&after=${expected[100]}`);
    assert.deepEqual(pageRows(back.text_).map((r) => r.id), expected.slice(50, 100));

    const backAgain = await agent.get(pagerHref(back.text_, 'prev'));
    assert.deepEqual(pageRows(backAgain.text_).map((r) => r.id), expected.slice(0, 50));
    assert.equal(pagerHref(backAgain.text_, 'prev'), null, 'the first page has no previous page');
  });

  test('unfiltered pages are in time order', async () => {
    const agent = await signedIn(admin);
    const rows = await allRows(agent);
    const stored = await server.query('SELECT count(*)::int AS n FROM audit_log');
    assert.equal(rows.length, stored.rows[0].n);
    assert.equal(new Set(rows.map((r) => r.id)).size, rows.length, 'no record twice');
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1].time >= rows[i].time, `${rows[i - 1].time} >= ${rows[i].time}`);
  });

  test('a cursor past the last record gives an empty page', async () => {
    const agent = await signedIn(admin);
    const res = await auditPage(agent, { before: '999999999' });
    assert.deepEqual(pageRows(res.text_), []);
    assert.match(res.text_, /There are no records on this page\./);
  });
});

describe('display', () => {
  test('escapes every field and redacts secret-named values', async () => {
    await insertAudit([{
      action: 'display_test', target: '<b>bold</b>', address: '10.0.0.1',
      details: { name: '<script>alert(1)</script>', client_secret: 'leak-me-4711', password_generated: true },
    }]);
    const agent = await signedIn(admin);
    const res = await auditPage(agent, { action: 'display_test' });
    assert.doesNotMatch(res.text_, /<script>alert/);
    assert.doesNotMatch(res.text_, /<b>bold/);
    assert.doesNotMatch(res.text_, /leak-me-4711/);
    const [row] = pageRows(res.text_);
    assert.equal(row.target, '<b>bold</b>');
    assert.equal(row.details, 'name: "<script>alert(1)</script>", client_secret: "[redacted]", password_generated: true');
    assert.equal(row.actor, 'system');
    assert.equal(row.words, 'display_test');
    assert.equal(row.outcome, '');
  });
});

describe('no secrets', () => {
  test('client secrets, passwords and tokens never reach the log', async () => {
    const adminAgent = await signedIn(admin);
    const form = await adminAgent.get(`${APPS}/new`);
    const created = await adminAgent.post(`${APPS}/new`, [['csrf_token', csrfToken(form.text_)],
      ['name', 'Secret Keeper'], ['description', ''], ['redirect_uris', 'https://keeper.example.com/cb'],
      ['scope', 'profile'], ['client_type', 'confidential']]);
    assert.equal(created.status, 200);
    const clientId = /<code id="client-id">([^<]*)<\/code>/.exec(created.text_)[1];
    const firstSecret = /<code id="client-secret">([^<]*)<\/code>/.exec(created.text_)[1];

    const confirm = await adminAgent.get(`${APPS}/${clientId}/rotate-secret`);
    const rotated = await adminAgent.post(`${APPS}/${clientId}/rotate-secret`, { csrf_token: csrfToken(confirm.text_) });
    assert.equal(rotated.status, 200);
    const secret = /<code id="client-secret">([^<]*)<\/code>/.exec(rotated.text_)[1];
    assert.notEqual(secret, firstSecret);

    // Mia signs in through the app, redeems the code, refreshes, then
    // replays the code and reuses the old refresh token.
    const app = { client_id: clientId, client_secret: secret };
    const redirectUri = 'https://keeper.example.com/cb';
    const miaAgent = new Agent(server.url);
    const auth = await authorize(miaAgent, { client_id: clientId, redirect_uri: redirectUri, response_type: 'code',
      scope: 'openid profile offline_access', state: 'st' }, { member: mia });
    const tokens = await redeemCode(server, app, auth.code, { redirectUri });
    assert.equal(tokens.status, 200, tokens.text_);
    const refreshed = await refresh(server, app, tokens.json.refresh_token);
    assert.equal(refreshed.status, 200, refreshed.text_);
    assert.equal((await refresh(server, app, tokens.json.refresh_token)).status, 400);
    assert.equal((await redeemCode(server, app, auth.code, { redirectUri })).status, 400);

    const secrets = [
      firstSecret, secret, admin.password, mia.password, auth.code,
      tokens.json.access_token, tokens.json.refresh_token, tokens.json.id_token,
      refreshed.json.access_token, refreshed.json.refresh_token,
      ...adminAgent.cookies.values(), ...miaAgent.cookies.values(),
    ].filter((s) => typeof s === 'string' && s.length >= 16);
    assert.ok(secrets.length >= 10, `${secrets.length} secrets to look for`);

    const pages = [];
    let res = await auditPage(adminAgent);
    pages.push(res.text_);
    while (pagerHref(res.text_, 'next') !== null) {
      res = await adminAgent.get(pagerHref(res.text_, 'next'));
      pages.push(res.text_);
    }
    const html = pages.join('\n');
    const stored = (await server.query('SELECT details::text AS d FROM audit_log')).rows.map((r) => r.d).join('\n');
    const whole = (await server.query('SELECT a::text AS r FROM audit_log a')).rows.map((r) => r.r).join('\n');
    const tailJsonText = orgoctlRun(['audit', 'tail', '--limit', '1000', '--json']).stdout;
    const tailText = orgoctlRun(['audit', 'tail', '--limit', '1000']).stdout;
    for (const s of secrets) {
      assert.ok(!html.includes(s), 'a secret is on the audit log page');
      assert.ok(!stored.includes(s), 'a secret is in audit_log.details');
      assert.ok(!whole.includes(s), 'a secret is in an audit_log row');
      assert.ok(!tailJsonText.includes(s), 'a secret is in orgoctl audit tail --json');
      assert.ok(!tailText.includes(s), 'a secret is in orgoctl audit tail');
    }

    // The security events of this flow are on the page.
    const rotatedRow = pageRows((await auditPage(adminAgent, { action: 'client_secret_rotated' })).text_)[0];
    assert.equal(rotatedRow.target, `client:${clientId}`);
    assert.equal(rotatedRow.actor, 'Ada Admin\nadmin@example.org');
    const reuse = pageRows((await auditPage(adminAgent, { action: 'refresh_token_reused' })).text_);
    assert.equal(reuse.length, 1);
    assert.equal(reuse[0].target, `member:${mia.id}\nmia@example.org`);
    assert.equal(reuse[0].outcome, 'rejected, grant revoked');
    assert.equal(reuse[0].actor, 'system');
    const replay = pageRows((await auditPage(adminAgent, { action: 'code_replayed' })).text_);
    assert.equal(replay.length, 1);
    assert.equal(replay[0].target, `client:${clientId}`);
    assert.equal(replay[0].words, 'Authorization code used twice');
  });
});

describe('orgoctl audit tail', () => {
  test('--limit 3 --json prints exactly the last 3 records', async () => {
    const ids = await insertAudit([
      { action: 'tail_test', actor: admin.id, target: 'member:1', address: '192.0.2.7', details: { n: 1 } },
      { action: 'tail_test', target: 'tail:2', details: { nested: { from: 'a', to: 'b' } } },
      { action: 'tail_test_other', target: null, address: null },
    ]);
    const lines = tailJson(['--limit', '3']);
    assert.equal(lines.length, 3);
    const stored = (await server.query(
      `SELECT a.id::text, to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at, a.action,
         a.actor_member_id::text AS actor_id, m.email AS actor_email, m.name AS actor_name, a.target, a.address,
         a.details
       FROM audit_log a LEFT JOIN members m ON m.id = a.actor_member_id WHERE a.id = ANY($1::bigint[]) ORDER BY a.id`,
      [ids])).rows;
    for (const line of lines) assert.deepEqual(Object.keys(line), JSON_FIELDS);
    assert.deepEqual(lines, stored);
    assert.equal(lines[0].actor_email, 'admin@example.org');
    assert.equal(lines[2].actor_id, null);
  });

  test('--action selects one action', () => {
    const lines = tailJson(['--action', 'tail_test', '--limit', '1000']);
    assert.equal(lines.length, 2);
    for (const line of lines) assert.equal(line.action, 'tail_test');
  });

  test('text lines are one record each, control characters escaped', async () => {
    await insertAudit([{
      action: 'text_test', actor: admin.id, target: 'ctl:\u001b[31mred', address: '192.0.2.8',
      details: { note: 'line1\nline2\u202e', client_secret: 'leak-me-0815' },
    }, { action: 'text_test' }]);
    const res = orgoctlRun(['audit', 'tail', '--limit', '2', '--action', 'text_test']);
    assert.equal(res.status, 0, res.stderr);
    const lines = res.stdout.split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, 2);
    assert.match(lines[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ {2}text_test {2}admin@example\.org {2}ctl:\?\[31mred {2}192\.0\.2\.8 {2}/);
    assert.ok(lines[0].endsWith('note: "line1\\nline2\\u202e", client_secret: "[redacted]"'), lines[0]);
    assert.match(lines[1], /^\S+ {2}text_test {2}- {2}- {2}- {2}-$/);
    assert.doesNotMatch(res.stdout, /\u001b|leak-me-0815/);
  });

  test('invalid options exit 2 with a message', () => {
    for (const [args, message] of [
      [['--limit', '0'], /--limit must be a whole number from 1 to 1000/],
      [['--limit', '1001'], /--limit must be a whole number from 1 to 1000/],
      [['--limit', '12x'], /--limit must be a whole number from 1 to 1000/],
      [['--action', 'Sign In'], /--action must be an action name/],
      [['--since', 'x'], /usage: orgoctl audit tail/],
      [['extra'], /unexpected argument 'extra'/],
    ]) {
      const res = orgoctlRun(['audit', 'tail', ...args]);
      assert.equal(res.status, 2, args.join(' '));
      assert.match(res.stderr, message, args.join(' '));
    }
    const bare = orgoctlRun(['audit']);
    assert.equal(bare.status, 2);
    assert.match(bare.stderr, /usage: orgoctl audit tail/);
  });
});

// A running `orgoctl audit tail --follow --json` with its output as lines.
function follow(args = []) {
  const child = spawn(ORGOCTL, ['audit', 'tail', '--follow', '--json', ...args],
    { env: server.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  let buffered = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    buffered += d;
    const parts = buffered.split('\n');
    buffered = parts.pop();
    for (const part of parts) lines.push(JSON.parse(part));
  });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child, lines, exited,
    get stderr() { return stderr; },
    // Resolves with the first line that 'match' accepts, within 'ms'.
    async waitFor(match, ms) {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        const found = lines.find(match);
        if (found) return found;
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.fail(`no matching line within ${ms} ms; got ${JSON.stringify(lines)} ${stderr}`);
    },
    async stop(signal) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

describe('orgoctl audit tail --follow', () => {
  test('prints a new record within 3 s and exits on SIGTERM', async () => {
    const tail = follow(['--limit', '1']);
    try {
      await tail.waitFor(() => true, 5000);
      assert.equal(tail.lines.length, 1, 'the last record first');
      const started = Date.now();
      orgoctl(server, ['member', 'add-group', '--email', mia.email, '--group', 'Followers']);
      const line = await tail.waitFor((l) => l.action === 'member_group_added', 3000);
      assert.ok(Date.now() - started < 3000);
      assert.equal(line.target, `member:${mia.id}`);
      assert.deepEqual(line.details, { group: 'Followers', via: 'orgoctl' });
    } finally {
      const result = await tail.stop('SIGTERM');
      assert.deepEqual(result, { code: 0, signal: null }, tail.stderr);
    }
  });

  test('prints a record committed after a newer one and exits on SIGINT', async () => {
    const tail = follow(['--limit', '1', '--action', 'late_test']);
    const client = await dbClient(server.db.conninfo);
    try {
      await new Promise((r) => setTimeout(r, 500));
      await client.query('BEGIN');
      const late = (await client.query(
        "INSERT INTO audit_log (action, target) VALUES ('late_test', 'late:1') RETURNING id::text")).rows[0].id;
      const [early] = await insertAudit([{ action: 'late_test', target: 'late:2' }]);
      assert.ok(Number(early) > Number(late));
      await tail.waitFor((l) => l.id === early, 3000);
      await client.query('COMMIT');
      await tail.waitFor((l) => l.id === late, 3000);
      assert.deepEqual(tail.lines.filter((l) => l.action === 'late_test').map((l) => l.target).sort(),
        ['late:1', 'late:2']);
    } finally {
      await client.end();
      const result = await tail.stop('SIGINT');
      assert.deepEqual(result, { code: 0, signal: null }, tail.stderr);
    }
  });
});
