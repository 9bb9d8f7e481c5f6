// Settings → Members over HTTPS against the real server: access rules,
// list and search, create, edit, disable and enable, password reset, the
// self-lockout rules, CSRF, bad input and the audit records.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { Agent, addMember, csrfToken } from '../helpers/http.js';

const BASE = '/settings/members';

let server;
let admin;
let mia;

before(async () => {
  server = await startServer();
  admin = addMember(server, { email: 'admin@example.org', name: 'Ada Admin', roles: ['ADMIN_TENANT'] });
  mia = addMember(server, { email: 'mia@example.org', name: 'Mia Member', groups: ['Support'] });
});
after(async () => server?.stop());

async function signedIn(person) {
  const agent = new Agent(server.url);
  const res = await agent.signIn(person.email, person.password);
  assert.equal(res.status, 303, `${person.email} signs in`);
  return agent;
}

// Opens 'path' and posts 'fields' with the CSRF token of that page.
async function submit(agent, path, fields, action = path) {
  const page = await agent.get(path);
  assert.equal(page.status, 200, `GET ${path}`);
  return agent.post(action, { csrf_token: csrfToken(page.text_), ...fields });
}

// Posts a raw body with the CSRF token of 'path' put in place of TOKEN.
async function submitRaw(agent, path, body, contentType = 'application/x-www-form-urlencoded') {
  const page = await agent.get(path);
  return agent.request('POST', path, {
    headers: { 'content-type': contentType }, body: body.replace('TOKEN', csrfToken(page.text_)),
  });
}

async function memberByEmail(email) {
  const res = await server.query(
    `SELECT m.*, ARRAY(SELECT r.name FROM member_roles mr JOIN roles r ON r.id = mr.role_id
       WHERE mr.member_id = m.id ORDER BY r.name) AS roles,
     ARRAY(SELECT g.name FROM member_groups mg JOIN groups g ON g.id = mg.group_id
       WHERE mg.member_id = m.id ORDER BY g.name) AS groups
     FROM members m WHERE m.email_key = lower($1)`, [email]);
  return res.rows[0];
}

async function memberById(id) {
  const res = await server.query('SELECT email FROM members WHERE id = $1', [id]);
  return memberByEmail(res.rows[0].email);
}

async function count(sql, params = []) {
  return (await server.query(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0].n;
}

async function auditRows(memberId) {
  return (await server.query(
    'SELECT actor_member_id::text AS actor, action, target, address, details FROM audit_log WHERE target = $1 ORDER BY id',
    [`member:${memberId}`])).rows;
}

function generatedPassword(html) {
  const m = /<code id="member-password">([^<]*)<\/code>/.exec(html);
  assert.ok(m, 'the page shows a password');
  return m[1];
}

const newMember = (overrides = {}) => ({
  email: 'new@example.org', name: 'New Person', picture: '', roles: 'MEMBER', groups: '', password: '',
  ...overrides,
});

describe('access', () => {
  const getPaths = () => [BASE, `${BASE}/new`, `${BASE}/${mia.id}`, `${BASE}/${mia.id}/reset-password`];
  const postPaths = () => [`${BASE}/new`, `${BASE}/${mia.id}`, `${BASE}/${mia.id}/disable`, `${BASE}/${mia.id}/enable`,
    `${BASE}/${mia.id}/reset-password`];

  test('pages redirect to sign-in without a session', async () => {
    const agent = new Agent(server.url);
    for (const path of getPaths()) {
      const res = await agent.get(path);
      assert.equal(res.status, 303, path);
      assert.equal(res.headers.get('location'), `/login?return_to=${encodeURIComponent(path)}`, path);
    }
  });

  test('posts redirect to sign-in without a session', async () => {
    const agent = new Agent(server.url);
    for (const path of postPaths()) {
      const res = await agent.post(path, { csrf_token: 'x'.repeat(43), name: 'Changed', email: 'changed@example.org' });
      assert.equal(res.status, 303, path);
      assert.match(res.headers.get('location'), /^\/login\?return_to=/, path);
    }
    const row = await memberByEmail(mia.email);
    assert.equal(row.name, 'Mia Member');
    assert.equal(row.status, 'active');
  });

  test('MEMBER gets 403 on every page', async () => {
    const agent = await signedIn(mia);
    for (const path of getPaths()) {
      const res = await agent.get(path);
      assert.equal(res.status, 403, path);
      assert.match(res.text_, /This page is for administrators \(role ADMIN_TENANT\)\./, path);
    }
  });

  test('MEMBER gets 403 on every post', async () => {
    const agent = await signedIn(mia);
    const token = csrfToken((await agent.get('/settings')).text_);
    const membersBefore = await count('members');
    const auditBefore = await count('audit_log');
    for (const path of postPaths()) {
      const res = await agent.post(path, { csrf_token: token, ...newMember({ email: 'sneaky@example.org' }) });
      assert.equal(res.status, 403, path);
    }
    assert.equal(await count('members'), membersBefore);
    assert.equal(await count('audit_log'), auditBefore);
    const row = await memberByEmail(mia.email);
    assert.equal(row.status, 'active');
    assert.equal(row.name, 'Mia Member');
  });

  test('settings page links to members for admins', async () => {
    const agent = await signedIn(admin);
    const res = await agent.get('/settings');
    assert.match(res.text_, /<li class=""><a href="\/settings\/members">Members<\/a>/);
  });
});

describe('list', () => {
  test('shows members with their columns', async () => {
    const agent = await signedIn(admin);
    const res = await agent.get(BASE);
    assert.equal(res.status, 200);
    const today = new Date().toISOString().slice(0, 10);
    assert.match(res.text_, new RegExp(`<tr><td><a href="${BASE}/${mia.id}">Mia Member</a></td><td>mia@example\\.org</td>`
      + `<td>active</td><td class="optional">MEMBER</td><td class="optional">Support</td><td class="optional">${today}</td></tr>`));
    assert.match(res.text_, new RegExp(`<a href="${BASE}/${admin.id}">Ada Admin</a></td><td>admin@example\\.org</td>`
      + '<td>active</td><td class="optional">ADMIN_TENANT, MEMBER</td>'));
    assert.match(res.text_, /href="\/settings\/members\/new"/);
  });

  test('search finds by email ignoring case', async () => {
    const agent = await signedIn(admin);
    const res = await agent.get(`${BASE}?q=${encodeURIComponent('MIA@EXAMPLE')}`);
    assert.equal(res.status, 200);
    assert.match(res.text_, /Mia Member/);
    assert.doesNotMatch(res.text_, /Ada Admin<\/a>/);
    assert.match(res.text_, /value="MIA@EXAMPLE"/, 'the search box keeps the text');
    assert.match(res.text_, /Showing 1 to 1 of 1 member\./);
  });

  test('search finds by name ignoring case', async () => {
    const agent = await signedIn(admin);
    const res = await agent.get(`${BASE}?q=${encodeURIComponent('  ada ADMIN ')}`);
    assert.match(res.text_, /Ada Admin<\/a>/);
    assert.doesNotMatch(res.text_, /Mia Member<\/a>/);
  });

  test('search treats % and _ literally', async () => {
    const agent = await signedIn(admin);
    for (const q of ['%', '_', '\\']) {
      const res = await agent.get(`${BASE}?q=${encodeURIComponent(q)}`);
      assert.equal(res.status, 200, q);
      assert.match(res.text_, /No member matches this search\./, q);
    }
  });

  test('pages hold 25 members with links', async () => {
    await server.query(
      `INSERT INTO members (subject, email, email_key, name, password_hash)
       SELECT 'pager-' || n, 'pager' || n || '@example.org', 'pager' || n || '@example.org',
         'Pager ' || lpad(n::text, 2, '0'), 'x' FROM generate_series(1, 30) AS n`);
    const agent = await signedIn(admin);

    const first = await agent.get(`${BASE}?q=pager`);
    assert.equal(first.status, 200);
    const firstNames = [...first.text_.matchAll(/>(Pager \d\d)<\/a>/g)].map((m) => m[1]);
    assert.equal(firstNames.length, 25);
    assert.equal(firstNames[0], 'Pager 01');
    assert.equal(firstNames[24], 'Pager 25');
    assert.match(first.text_, /Showing 1 to 25 of 30 members\./);
    assert.match(first.text_, /<a class="" href="\/settings\/members\?q=pager&amp;page=2" rel="next">Next page<\/a>/);
    assert.match(first.text_, /<a class="hidden" href="[^"]*" rel="prev">/);

    const second = await agent.get(`${BASE}?q=pager&page=2`);
    const secondNames = [...second.text_.matchAll(/>(Pager \d\d)<\/a>/g)].map((m) => m[1]);
    assert.deepEqual(secondNames, ['Pager 26', 'Pager 27', 'Pager 28', 'Pager 29', 'Pager 30']);
    assert.match(second.text_, /Showing 26 to 30 of 30 members\./);
    assert.match(second.text_, /<a class="" href="\/settings\/members\?q=pager&amp;page=1" rel="prev">Previous page<\/a>/);
    assert.match(second.text_, /<a class="hidden" href="[^"]*" rel="next">/);

    const beyond = await agent.get(`${BASE}?q=pager&page=3`);
    assert.equal(beyond.status, 200);
    assert.match(beyond.text_, /There are no members on page 3\./);

    const all = await agent.get(BASE);
    assert.match(all.text_, /Showing 1 to 25 of 3\d members\./);
  });

  test('bad query parameters are rejected', async () => {
    const agent = await signedIn(admin);
    const cases = [
      ['page=0', /page must be a whole number from 1 to 10000/],
      ['page=abc', /page must be a whole number from 1 to 10000/],
      ['page=10001', /page must be a whole number from 1 to 10000/],
      ['page=123456', /page is longer than 5 bytes/],
      [`q=${'a'.repeat(201)}`, /q is longer than 200 bytes/],
      ['q=%FF', /parameter &quot;q&quot; is not valid UTF-8/],
      ['q=a%00b', /parameter &quot;q&quot; contains a NUL byte/],
      ['q=a&q=b', /q is given more than once/],
    ];
    for (const [query, message] of cases) {
      const res = await agent.get(`${BASE}?${query}`);
      assert.equal(res.status, 400, query);
      assert.match(res.text_, message, query);
    }
  });
});

describe('create', () => {
  test('generated password signs in', async () => {
    const agent = await signedIn(admin);
    const form = await agent.get(`${BASE}/new`);
    assert.equal(form.status, 200);
    assert.match(form.text_, /id="roles" name="roles"[^>]*value="MEMBER"/, 'MEMBER is the default role');
    assert.match(form.text_, /Existing roles: ADMIN_TENANT, MEMBER\./);

    const res = await agent.post(`${BASE}/new`, {
      csrf_token: csrfToken(form.text_), email: '  Gen.Person@Example.org ', name: ' Gen Person ',
      picture: 'https://cdn.example.org/p/gen.png?size=96', email_verified: '1', roles: 'MEMBER, EDITOR, MEMBER',
      groups: 'Design, Berlin office', password: '',
    });
    assert.equal(res.status, 200);
    assert.match(res.text_, /Member created/);
    const password = generatedPassword(res.text_);
    assert.match(password, /^[a-km-zA-HJ-NP-Z2-9]{20}$/);

    const row = await memberByEmail('gen.person@example.org');
    assert.equal(row.email, 'Gen.Person@Example.org');
    assert.equal(row.email_key, 'gen.person@example.org');
    assert.equal(row.name, 'Gen Person');
    assert.equal(row.picture, 'https://cdn.example.org/p/gen.png?size=96');
    assert.equal(row.email_verified, true);
    assert.equal(row.status, 'active');
    assert.match(row.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.match(row.subject, /^[A-Za-z0-9_-]{22}$/);
    assert.deepEqual(row.roles, ['EDITOR', 'MEMBER']);
    assert.deepEqual(row.groups, ['Berlin office', 'Design']);
    assert.match(res.text_, new RegExp(`href="${BASE}/${row.id}"`));

    const audit = await auditRows(row.id);
    assert.equal(audit.length, 1);
    assert.equal(audit[0].action, 'member_created');
    assert.equal(audit[0].actor, String(admin.id));
    assert.equal(audit[0].address, '127.0.0.1');
    assert.deepEqual(audit[0].details, {
      email: 'Gen.Person@Example.org', name: 'Gen Person', picture: 'https://cdn.example.org/p/gen.png?size=96',
      email_verified: true, roles: ['EDITOR', 'MEMBER'], groups: ['Berlin office', 'Design'], password_generated: true,
    });
    assert.doesNotMatch(JSON.stringify(audit), new RegExp(password));
    assert.doesNotMatch(JSON.stringify(audit), /argon2/);

    const member = new Agent(server.url);
    const signIn = await member.signIn('gen.person@example.org', password);
    assert.equal(signIn.status, 303);

    const again = await agent.get(`${BASE}/${row.id}`);
    assert.equal(again.text_.includes(password), false, 'the password is shown only once');
  });

  test('chosen password signs in', async () => {
    const agent = await signedIn(admin);
    const res = await submit(agent, `${BASE}/new`, newMember({
      email: 'chosen@example.org', name: 'Chosen', password: 'a chosen passphrase',
    }));
    assert.equal(res.status, 200);
    assert.doesNotMatch(res.text_, /a chosen passphrase/);
    assert.match(res.text_, /<div class="hidden">\s*<p>Password<\/p>/, 'no password box');
    const row = await memberByEmail('chosen@example.org');
    assert.equal(row.email_verified, false);
    assert.equal(row.picture, null);
    assert.deepEqual(row.roles, ['MEMBER']);
    assert.deepEqual(row.groups, []);
    assert.equal((await auditRows(row.id))[0].details.password_generated, false);
    assert.equal((await new Agent(server.url).signIn('chosen@example.org', 'a chosen passphrase')).status, 303);
  });

  test('duplicate email is rejected ignoring case', async () => {
    const agent = await signedIn(admin);
    const membersBefore = await count('members');
    const auditBefore = await count('audit_log');
    const res = await submit(agent, `${BASE}/new`, newMember({
      email: 'MIA@Example.ORG', name: 'Second Mia', groups: 'Brand new group', roles: 'NEW_ROLE',
    }));
    assert.equal(res.status, 400);
    assert.match(res.text_, /<p id="email-error" class="field-error">A member with this email already exists\.<\/p>/);
    assert.match(res.text_, /value="MIA@Example\.ORG"/);
    assert.match(res.text_, /value="Second Mia"/);
    assert.equal(await count('members'), membersBefore);
    assert.equal(await count('audit_log'), auditBefore);
    assert.equal(await count('groups WHERE name = $1', ['Brand new group']), 0);
    assert.equal(await count('roles WHERE name = $1', ['NEW_ROLE']), 0);
  });

  test('field errors keep the values', async () => {
    const agent = await signedIn(admin);
    const membersBefore = await count('members');
    const res = await submit(agent, `${BASE}/new`, {
      email: 'not-an-email', name: '   ', picture: 'http://example.org/p.png', email_verified: '1',
      roles: 'MEMBER, bad role', groups: 'Ok group, !nope', password: 'short pw',
    });
    assert.equal(res.status, 400);
    assert.match(res.text_, /The member was not saved\. Correct the fields marked below\./);
    assert.match(res.text_, /id="email-error" class="field-error">Email address must contain exactly one @\.</);
    assert.match(res.text_, /id="name-error" class="field-error">Enter the member&#39;s name\.</);
    assert.match(res.text_, /id="picture-error" class="field-error">Picture URL must start with https:\/\/\.</);
    assert.match(res.text_, /id="roles-error" class="field-error">Role &quot;bad role&quot; is not valid: use capital letters A-Z, digits and _, and start with a letter\.</);
    assert.match(res.text_, /id="groups-error" class="field-error">Group &quot;!nope&quot; is not valid: use letters, digits, spaces, &#39;\.&#39;, &#39;_&#39; and &#39;-&#39;, and start with a letter or digit\.</);
    assert.match(res.text_, /id="password-error" class="field-error">Password must be at least 10 characters long\.</);
    assert.match(res.text_, /value="not-an-email"/);
    assert.match(res.text_, /value="http:\/\/example\.org\/p\.png"/);
    assert.match(res.text_, /value="MEMBER, bad role"/);
    assert.match(res.text_, /value="Ok group, !nope"/);
    assert.match(res.text_, /name="email_verified" value="1" checked/);
    assert.doesNotMatch(res.text_, /short pw/, 'the password is never shown again');
    assert.equal(await count('members'), membersBefore);
    assert.equal(await count('groups WHERE name = $1', ['Ok group']), 0);
  });

  test('picture URL must be a valid https URL', async () => {
    const agent = await signedIn(admin);
    const bad = [
      ['ftp://example.org/p.png', /must start with https:\/\//],
      ['HTTPS://example.org/p.png', /must start with https:\/\//],
      ['https://', /has no host name/],
      ['https:///p.png', /has no host name/],
      ['https://user:secret@example.org/p.png', /must not contain a user name or password/],
      ['https://exa mple.org/p.png', /character that URLs do not allow at byte 12/],
      ['https://example.org/ä.png', /character that URLs do not allow at byte 21/],
      ['https://example.org/p"q.png', /character that URLs do not allow/],
      ['https://example.org/%zz.png', /invalid percent escape at byte 21/],
      ['https://example.org/%4', /invalid percent escape/],
      ['https://example.org:99999/p.png', /invalid port/],
      ['https://example.org:/p.png', /invalid port/],
      ['https://-example.org/p.png', /invalid host name/],
      ['https://exa..mple.org/', /invalid host name/],
      ['https://[zz]/p.png', /invalid IPv6 address/],
    ];
    for (const [picture, message] of bad) {
      const res = await submit(agent, `${BASE}/new`, newMember({ email: 'pic@example.org', picture }));
      assert.equal(res.status, 400, picture);
      assert.match(res.text_, message, picture);
    }
    assert.equal(await memberByEmail('pic@example.org'), undefined);

    const good = ['https://example.org/a.png?x=1&y=%C3%A4#top', 'https://[::1]:8443/p.png', 'https://img.example.org'];
    for (const [i, picture] of good.entries()) {
      const res = await submit(agent, `${BASE}/new`, newMember({ email: `pic${i}@example.org`, picture }));
      assert.equal(res.status, 200, picture);
      assert.equal((await memberByEmail(`pic${i}@example.org`)).picture, picture);
    }
  });

  test('name and list limits', async () => {
    const agent = await signedIn(admin);
    const longName = await submit(agent, `${BASE}/new`, newMember({ email: 'long@example.org', name: 'é'.repeat(201) }));
    assert.equal(longName.status, 400);
    assert.match(longName.text_, /Name is longer than 200 characters\./);

    const control = await submit(agent, `${BASE}/new`, newMember({ email: 'ctl@example.org', name: 'Tab\there' }));
    assert.equal(control.status, 400);
    assert.match(control.text_, /Name must not contain control characters or line breaks\./);

    const longRole = await submit(agent, `${BASE}/new`, newMember({ email: 'long@example.org', roles: 'A'.repeat(65) }));
    assert.match(longRole.text_, /Role names are at most 64 characters long\./);

    const manyRoles = Array.from({ length: 33 }, (_, i) => `R${i}`).join(',');
    const tooMany = await submit(agent, `${BASE}/new`, newMember({ email: 'long@example.org', roles: manyRoles }));
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.text_, /A member can have at most 32 roles\./);
    assert.equal(await memberByEmail('long@example.org'), undefined);

    const maxName = await submit(agent, `${BASE}/new`, newMember({ email: 'maxname@example.org', name: 'é'.repeat(200) }));
    assert.equal(maxName.status, 200, '200 characters in 400 bytes fit');
    assert.equal((await memberByEmail('maxname@example.org')).name, 'é'.repeat(200));
  });
});

describe('edit', () => {
  test('edit page shows the stored values', async () => {
    const agent = await signedIn(admin);
    const res = await agent.get(`${BASE}/${mia.id}`);
    assert.equal(res.status, 200);
    assert.match(res.text_, /<h1>Mia Member<\/h1>/);
    assert.match(res.text_, /id="email" name="email"[^>]*value="mia@example\.org"/);
    assert.match(res.text_, /id="roles" name="roles"[^>]*value="MEMBER"/);
    assert.match(res.text_, /id="groups" name="groups"[^>]*value="Support"/);
    assert.match(res.text_, /name="email_verified" value="1" checked/);
    assert.match(res.text_, /<tr><th>Status<\/th><td>active<\/td><\/tr>/);
    assert.match(res.text_, new RegExp(`action="${BASE}/${mia.id}/disable"`));
    assert.match(res.text_, /<div class="hidden">\s*<label for="password">/);
  });

  test('edit saves and audits every field', async () => {
    const bob = addMember(server, { email: 'bob@example.org', name: 'Bob', groups: ['Support', 'Sales'] });
    const before = await memberByEmail(bob.email);
    await server.query("UPDATE members SET updated_at = now() - interval '1 day' WHERE id = $1", [bob.id]);
    const agent = await signedIn(admin);

    const res = await submit(agent, `${BASE}/${bob.id}`, {
      email: 'Robert@Example.org', name: 'Robert Builder', picture: 'https://example.org/bob.png',
      roles: 'MEMBER, REVIEWER', groups: 'Sales, Engineering',
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `${BASE}/${bob.id}?saved=1`);

    const row = await memberById(bob.id);
    assert.equal(row.email, 'Robert@Example.org');
    assert.equal(row.email_key, 'robert@example.org');
    assert.equal(row.name, 'Robert Builder');
    assert.equal(row.picture, 'https://example.org/bob.png');
    assert.equal(row.email_verified, false);
    assert.equal(row.subject, before.subject);
    assert.equal(row.password_hash, before.password_hash);
    assert.deepEqual(row.roles, ['MEMBER', 'REVIEWER']);
    assert.deepEqual(row.groups, ['Engineering', 'Sales']);
    assert.ok(Date.now() - row.updated_at.getTime() < 60000, 'updated_at is now');

    const audit = (await auditRows(bob.id)).filter((r) => r.action === 'member_updated');
    assert.equal(audit.length, 1);
    assert.equal(audit[0].actor, String(admin.id));
    assert.deepEqual(audit[0].details, {
      email: { from: 'bob@example.org', to: 'Robert@Example.org' },
      name: { from: 'Bob', to: 'Robert Builder' },
      picture: { from: null, to: 'https://example.org/bob.png' },
      email_verified: { from: true, to: false },
      roles: { from: ['MEMBER'], to: ['MEMBER', 'REVIEWER'] },
      groups: { from: ['Sales', 'Support'], to: ['Engineering', 'Sales'] },
    });

    const page = await agent.get(res.headers.get('location'));
    assert.match(page.text_, /Changes saved\./);
    assert.match(page.text_, /<h1>Robert Builder<\/h1>/);

    const signIn = await new Agent(server.url).signIn('robert@example.org', bob.password);
    assert.equal(signIn.status, 303, 'the member signs in with the new email');
  });

  test('edit clears picture, roles, groups', async () => {
    const cleo = addMember(server, { email: 'cleo@example.org', name: 'Cleo', roles: ['EDITOR'], groups: ['Support'] });
    await server.query("UPDATE members SET picture = 'https://example.org/c.png' WHERE id = $1", [cleo.id]);
    const agent = await signedIn(admin);
    const res = await submit(agent, `${BASE}/${cleo.id}`, {
      email: 'cleo@example.org', name: 'Cleo', picture: '', email_verified: '1', roles: '', groups: ' , ',
    });
    assert.equal(res.status, 303);
    const row = await memberById(cleo.id);
    assert.equal(row.picture, null);
    assert.deepEqual(row.roles, []);
    assert.deepEqual(row.groups, []);
    const details = (await auditRows(cleo.id)).at(-1).details;
    assert.deepEqual(details, {
      picture: { from: 'https://example.org/c.png', to: null },
      roles: { from: ['EDITOR', 'MEMBER'], to: [] },
      groups: { from: ['Support'], to: [] },
    });
  });

  test('saving without changes writes no audit record', async () => {
    const dan = addMember(server, { email: 'dan@example.org', name: 'Dan', groups: ['Support'] });
    await server.query("UPDATE members SET updated_at = '2020-01-01T00:00:00Z' WHERE id = $1", [dan.id]);
    const agent = await signedIn(admin);
    const auditBefore = await count('audit_log');
    const res = await submit(agent, `${BASE}/${dan.id}`, {
      email: 'dan@example.org', name: 'Dan', picture: '', email_verified: '1', roles: 'MEMBER', groups: 'Support',
    });
    assert.equal(res.status, 303);
    assert.equal(await count('audit_log'), auditBefore);
    assert.equal((await memberById(dan.id)).updated_at.toISOString(), '2020-01-01T00:00:00.000Z');
  });

  test('email of another member is rejected', async () => {
    const eve = addMember(server, { email: 'eve@example.org', name: 'Eve' });
    const agent = await signedIn(admin);
    const res = await submit(agent, `${BASE}/${eve.id}`, {
      email: 'MIA@example.org', name: 'Eve Changed', roles: 'MEMBER', groups: '',
    });
    assert.equal(res.status, 400);
    assert.match(res.text_, /A member with this email already exists\./);
    assert.match(res.text_, /value="Eve Changed"/);
    const row = await memberById(eve.id);
    assert.equal(row.email, 'eve@example.org');
    assert.equal(row.name, 'Eve');
    assert.equal((await auditRows(eve.id)).filter((r) => r.action === 'member_updated').length, 0);
  });

  test('field errors on edit keep the values', async () => {
    const agent = await signedIn(admin);
    const res = await submit(agent, `${BASE}/${mia.id}`, {
      email: 'mia@example.org', name: 'Mia Changed', picture: 'https://exa mple.org/', roles: 'MEMBER', groups: 'Support',
    });
    assert.equal(res.status, 400);
    assert.match(res.text_, /Picture URL contains a character that URLs do not allow at byte 12\./);
    assert.match(res.text_, /value="Mia Changed"/);
    assert.equal((await memberByEmail(mia.email)).name, 'Mia Member');
  });

  test('unknown member is 404', async () => {
    const agent = await signedIn(admin);
    assert.equal((await agent.get(`${BASE}/999999999`)).status, 404);
    assert.equal((await agent.get(`${BASE}/999999999/reset-password`)).status, 404);
    const token = csrfToken((await agent.get('/settings')).text_);
    assert.equal((await agent.post(`${BASE}/999999999`, { csrf_token: token, ...newMember() })).status, 404);
    assert.equal((await agent.post(`${BASE}/999999999/disable`, { csrf_token: token })).status, 404);
    assert.equal((await agent.post(`${BASE}/999999999/reset-password`, { csrf_token: token })).status, 404);
    assert.equal((await agent.get(`${BASE}/abc`)).status, 404);
  });
});

describe('disable and enable', () => {
  test('disable ends sessions and blocks sign-in', async () => {
    const fay = addMember(server, { email: 'fay@example.org', name: 'Fay' });
    const fayAgent = await signedIn(fay);
    assert.equal((await fayAgent.get('/settings')).status, 200);
    const agent = await signedIn(admin);

    const res = await submit(agent, `${BASE}/${fay.id}`, {}, `${BASE}/${fay.id}/disable`);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `${BASE}/${fay.id}?disabled=1`);
    const row = await memberById(fay.id);
    assert.equal(row.status, 'disabled');
    assert.equal(await count('sessions WHERE member_id = $1', [fay.id]), 0);
    assert.equal((await fayAgent.get('/settings')).status, 303, 'the open session ended');
    assert.equal((await new Agent(server.url).signIn(fay.email, fay.password)).status, 401);

    const page = await agent.get(res.headers.get('location'));
    assert.match(page.text_, /The member is disabled\. Their sessions have ended\./);
    assert.match(page.text_, new RegExp(`action="${BASE}/${fay.id}/enable"`));

    const audit = (await auditRows(fay.id)).filter((r) => r.action === 'member_disabled');
    assert.equal(audit.length, 1);
    assert.equal(audit[0].actor, String(admin.id));
    assert.deepEqual(audit[0].details, { status: { from: 'active', to: 'disabled' }, sessions_ended: 1 });

    const list = await agent.get(`${BASE}?q=fay`);
    assert.match(list.text_, /<td>fay@example\.org<\/td><td>disabled<\/td>/);

    const enable = await submit(agent, `${BASE}/${fay.id}`, {}, `${BASE}/${fay.id}/enable`);
    assert.equal(enable.status, 303);
    assert.equal(enable.headers.get('location'), `${BASE}/${fay.id}?enabled=1`);
    assert.equal((await memberById(fay.id)).status, 'active');
    assert.equal((await new Agent(server.url).signIn(fay.email, fay.password)).status, 303);
    const enabled = (await auditRows(fay.id)).filter((r) => r.action === 'member_enabled');
    assert.equal(enabled.length, 1);
    assert.deepEqual(enabled[0].details, { status: { from: 'disabled', to: 'active' }, sessions_ended: 0 });
  });

  test('disabling twice writes one record', async () => {
    const gus = addMember(server, { email: 'gus@example.org', name: 'Gus' });
    const agent = await signedIn(admin);
    await submit(agent, `${BASE}/${gus.id}`, {}, `${BASE}/${gus.id}/disable`);
    const again = await submit(agent, `${BASE}/${gus.id}`, {}, `${BASE}/${gus.id}/disable`);
    assert.equal(again.status, 303);
    assert.equal((await auditRows(gus.id)).filter((r) => r.action === 'member_disabled').length, 1);
  });

  test('disable is post only', async () => {
    const agent = await signedIn(admin);
    const res = await agent.get(`${BASE}/${mia.id}/disable`);
    assert.equal(res.status, 405);
    assert.equal((await memberByEmail(mia.email)).status, 'active');
  });
});

describe('password reset', () => {
  test('reset replaces the old password', async () => {
    const hal = addMember(server, { email: 'hal@example.org', name: 'Hal' });
    const halAgent = await signedIn(hal);
    const agent = await signedIn(admin);

    const confirm = await agent.get(`${BASE}/${hal.id}/reset-password`);
    assert.equal(confirm.status, 200);
    assert.match(confirm.text_, /Reset password\?/);
    assert.match(confirm.text_, /A new password for Hal \(hal@example\.org\) will be generated/);
    assert.equal(await count("audit_log WHERE action = 'member_password_reset' AND target = $1", [`member:${hal.id}`]), 0,
      'the confirmation page changes nothing');

    const res = await agent.post(`${BASE}/${hal.id}/reset-password`, { csrf_token: csrfToken(confirm.text_) });
    assert.equal(res.status, 200);
    assert.match(res.text_, /New password/);
    const password = generatedPassword(res.text_);
    assert.match(password, /^[a-km-zA-HJ-NP-Z2-9]{20}$/);

    assert.equal((await new Agent(server.url).signIn(hal.email, hal.password)).status, 401, 'old password fails');
    assert.equal((await new Agent(server.url).signIn(hal.email, password)).status, 303, 'new password works');
    assert.equal((await halAgent.get('/settings')).status, 303, 'the session open before the reset ended');

    const audit = (await auditRows(hal.id)).filter((r) => r.action === 'member_password_reset');
    assert.equal(audit.length, 1);
    assert.equal(audit[0].actor, String(admin.id));
    assert.deepEqual(audit[0].details, { sessions_ended: 1 });
    assert.doesNotMatch(JSON.stringify(await auditRows(hal.id)), new RegExp(password));
  });
});

describe('self-lockout', () => {
  test('admin cannot remove own ADMIN_TENANT role', async () => {
    const agent = await signedIn(admin);
    const res = await submit(agent, `${BASE}/${admin.id}`, {
      email: admin.email, name: 'Ada Admin', email_verified: '1', roles: 'MEMBER', groups: '',
    });
    assert.equal(res.status, 400);
    assert.match(res.text_, /id="roles-error" class="field-error">You cannot remove your own ADMIN_TENANT role\. Ask another administrator to do it\.</);
    assert.deepEqual((await memberByEmail(admin.email)).roles, ['ADMIN_TENANT', 'MEMBER']);
    assert.equal((await agent.get(BASE)).status, 200, 'still an administrator');
  });

  test('admin edits own account', async () => {
    const agent = await signedIn(admin);
    const res = await submit(agent, `${BASE}/${admin.id}`, {
      email: admin.email, name: 'Ada Admin', email_verified: '1', roles: 'ADMIN_TENANT, MEMBER, AUDITOR', groups: '',
    });
    assert.equal(res.status, 303);
    assert.deepEqual((await memberByEmail(admin.email)).roles, ['ADMIN_TENANT', 'AUDITOR', 'MEMBER']);
  });

  test('admin cannot disable themselves', async () => {
    const agent = await signedIn(admin);
    const page = await agent.get(`${BASE}/${admin.id}`);
    assert.match(page.text_, /<div class="hidden">\s*<p>A disabled member cannot sign in/, 'no disable button on own page');
    assert.match(page.text_, /This is your own account\./);

    const res = await agent.post(`${BASE}/${admin.id}/disable`, { csrf_token: csrfToken(page.text_) });
    assert.equal(res.status, 400);
    assert.match(res.text_, /You cannot disable your own account/);
    assert.equal((await memberByEmail(admin.email)).status, 'active');
    assert.equal(await count("audit_log WHERE action = 'member_disabled' AND target = $1", [`member:${admin.id}`]), 0);
    assert.equal((await agent.get(BASE)).status, 200, 'the session is still valid');
  });

  test('another admin can demote an admin', async () => {
    const ivy = addMember(server, { email: 'ivy@example.org', name: 'Ivy', roles: ['ADMIN_TENANT'] });
    const agent = await signedIn(admin);
    const res = await submit(agent, `${BASE}/${ivy.id}`, { email: ivy.email, name: 'Ivy', roles: 'MEMBER', groups: '' });
    assert.equal(res.status, 303);
    const ivyAgent = await signedIn(ivy);
    assert.equal((await ivyAgent.get(BASE)).status, 403);
  });
});

describe('CSRF', () => {
  test('create with a wrong token is rejected', async () => {
    const agent = await signedIn(admin);
    const res = await agent.post(`${BASE}/new`, { csrf_token: 'x'.repeat(43), ...newMember({ email: 'csrf1@example.org' }) });
    assert.equal(res.status, 403);
    assert.match(res.text_, /The form expired or did not come from this site\./);
    assert.equal(await memberByEmail('csrf1@example.org'), undefined);
  });

  test('edit without a token is rejected', async () => {
    const agent = await signedIn(admin);
    const res = await agent.post(`${BASE}/${mia.id}`, { email: mia.email, name: 'No Token', roles: 'MEMBER' });
    assert.equal(res.status, 403);
    assert.equal((await memberByEmail(mia.email)).name, 'Mia Member');
  });

  test('disable from another origin is rejected', async () => {
    const agent = await signedIn(admin);
    const page = await agent.get(`${BASE}/${mia.id}`);
    const res = await agent.post(`${BASE}/${mia.id}/disable`, { csrf_token: csrfToken(page.text_) },
      { origin: 'https://evil.example' });
    assert.equal(res.status, 403);
    assert.equal((await memberByEmail(mia.email)).status, 'active');
  });

  test('reset with another session token is rejected', async () => {
    const other = await signedIn(admin);
    const otherToken = csrfToken((await other.get('/settings')).text_);
    const agent = await signedIn(admin);
    const before = (await memberByEmail(mia.email)).password_hash;
    const res = await agent.post(`${BASE}/${mia.id}/reset-password`, { csrf_token: otherToken });
    assert.equal(res.status, 403);
    assert.equal((await memberByEmail(mia.email)).password_hash, before);
  });
});

describe('bad input', () => {
  const valid = (extra = '') => `csrf_token=TOKEN&email=bad%40example.org&name=Bad&roles=MEMBER&groups=${extra}`;
  const cases = [
    ['over-long name', valid().replace('name=Bad', `name=${'a'.repeat(801)}`), /name is longer than 800 bytes/],
    ['over-long email', valid().replace('email=bad', `email=${'b'.repeat(260)}`), /email is longer than 254 bytes/],
    ['over-long picture', `${valid()}&picture=https%3A%2F%2Fexample.org%2F${'p'.repeat(2000)}`, /picture is longer than 2000 bytes/],
    ['over-long groups', valid('a,'.repeat(2200)), /groups is longer than 4224 bytes/],
    ['over-long password', `${valid()}&password=${'p'.repeat(257)}`, /password is longer than 256 bytes/],
    ['invalid UTF-8', valid().replace('name=Bad', 'name=B%C3%28d'), /parameter &quot;name&quot; is not valid UTF-8/],
    ['NUL byte', valid().replace('email=bad', 'email=b%00ad'), /parameter &quot;email&quot; contains a NUL byte/],
    ['repeated field', `${valid()}&name=Again`, /name is given more than once/],
    ['email_verified value', `${valid()}&email_verified=x`, /email_verified must be 1 or left out/],
  ];
  for (const [label, body, message] of cases) {
    test(`${label} is rejected`, async () => {
      const agent = await signedIn(admin);
      const membersBefore = await count('members');
      const res = await submitRaw(agent, `${BASE}/new`, body);
      assert.equal(res.status, 400);
      assert.match(res.text_, message);
      assert.equal(await count('members'), membersBefore, 'nothing stored');
    });
  }

  test('wrong content type is rejected', async () => {
    const agent = await signedIn(admin);
    const res = await submitRaw(agent, `${BASE}/${mia.id}`, '{"name":"JSON"}', 'application/json');
    assert.equal(res.status, 400);
    assert.match(res.text_, /application\/x-www-form-urlencoded/);
    assert.equal((await memberByEmail(mia.email)).name, 'Mia Member');
  });

  test('repeated field on edit is rejected', async () => {
    const agent = await signedIn(admin);
    const res = await submitRaw(agent, `${BASE}/${mia.id}`,
      'csrf_token=TOKEN&email=mia%40example.org&name=One&name=Two&roles=MEMBER');
    assert.equal(res.status, 400);
    assert.match(res.text_, /name is given more than once/);
    assert.equal((await memberByEmail(mia.email)).name, 'Mia Member');
  });
});
