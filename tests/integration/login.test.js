// Sign-in, sessions, throttling, sign-out and CSRF, over HTTPS against the
// real server.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer } from '../helpers/server.js';
import { Agent, addMember, csrfToken, orgoctl } from '../helpers/http.js';

let server;
let alice;

before(async () => {
  server = await startServer();
  alice = addMember(server, { email: 'alice@example.org', name: 'Alice Example' });
});
after(async () => server?.stop());

const sha256 = (s) => crypto.createHash('sha256').update(s).digest('hex');

describe('sign-in', () => {
  test('success sets a __Host- session cookie', async () => {
    const agent = new Agent(server.url);
    const res = await agent.signIn(alice.email, alice.password);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/settings');
    const line = res.headers.getSetCookie().find((c) => c.startsWith('__Host-orgo_session='));
    assert.ok(line, 'session cookie set');
    assert.match(line, /^__Host-orgo_session=[A-Za-z0-9_-]{43}; Path=\/; Secure; SameSite=Lax; Max-Age=\d+; HttpOnly$/);
    assert.doesNotMatch(line, /Domain=/i);

    const token = agent.cookies.get('__Host-orgo_session');
    const rows = (await server.query('SELECT id_hash FROM sessions WHERE member_id = $1', [alice.id])).rows;
    assert.ok(rows.some((r) => r.id_hash === sha256(token)), 'only the hash is stored');
    assert.ok(rows.every((r) => r.id_hash !== token));

    const settings = await agent.get('/settings');
    assert.equal(settings.status, 200);
    assert.match(settings.text_, /Signed in as Alice Example \(alice@example\.org\)/);
  });

  test('email matches case-insensitively', async () => {
    const agent = new Agent(server.url);
    const res = await agent.signIn('ALICE@Example.ORG', alice.password);
    assert.equal(res.status, 303);
  });

  test('new session id at each sign-in', async () => {
    const agent = new Agent(server.url);
    await agent.signIn(alice.email, alice.password);
    const first = agent.cookies.get('__Host-orgo_session');
    await agent.signIn(alice.email, alice.password);
    const second = agent.cookies.get('__Host-orgo_session');
    assert.notEqual(first, second);
    const old = await server.query('SELECT 1 FROM sessions WHERE id_hash = $1', [sha256(first)]);
    assert.equal(old.rowCount, 0, 'the previous session was deleted');
  });

  test('wrong password shows one generic message', async () => {
    const agent = new Agent(server.url);
    const res = await agent.signIn(alice.email, 'not the password');
    assert.equal(res.status, 401);
    assert.match(res.text_, /Invalid email or password\./);
    assert.match(res.text_, /value="alice@example\.org"/);
    assert.doesNotMatch(res.text_, /not the password/);
    assert.equal(agent.cookies.has('__Host-orgo_session'), false);
  });

  test('unknown email gets the same message', async () => {
    const agent = new Agent(server.url);
    const res = await agent.signIn('nobody@example.org', 'whatever password');
    assert.equal(res.status, 401);
    assert.match(res.text_, /Invalid email or password\./);
  });

  test('disabled member cannot sign in', async () => {
    const bob = addMember(server, { email: 'bob@example.org', name: 'Bob' });
    orgoctl(server, ['member', 'disable', '--email', bob.email]);
    const agent = new Agent(server.url);
    const res = await agent.signIn(bob.email, bob.password);
    assert.equal(res.status, 401);
    assert.match(res.text_, /Invalid email or password\./);
  });

  test('disabling a member ends the session', async () => {
    const dora = addMember(server, { email: 'dora@example.org', name: 'Dora' });
    const agent = new Agent(server.url);
    await agent.signIn(dora.email, dora.password);
    assert.equal((await agent.get('/settings')).status, 200);
    orgoctl(server, ['member', 'disable', '--email', dora.email]);
    const res = await agent.get('/settings');
    assert.equal(res.status, 303);
    assert.match(res.headers.get('location'), /^\/login/);
  });
});

describe('throttling', () => {
  test('five failures lock the email', async () => {
    const carol = addMember(server, { email: 'carol@example.org', name: 'Carol' });
    const agent = new Agent(server.url);
    for (let i = 0; i < 4; i++) {
      const res = await agent.signIn(carol.email, 'wrong password ' + i);
      assert.equal(res.status, 401, `attempt ${i + 1}`);
    }
    const fifth = await agent.signIn(carol.email, 'wrong password 5');
    assert.equal(fifth.status, 429);
    assert.match(fifth.text_, /Too many failed attempts: try again after \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\./);
    assert.ok(Number(fifth.headers.get('retry-after')) > 0);

    const locked = await agent.signIn(carol.email, carol.password);
    assert.equal(locked.status, 429, 'the right password is not checked while locked');
    assert.match(locked.text_, /Too many failed sign-in attempts\. Try again after/);

    const audit = await server.query(
      "SELECT count(*)::int AS n, bool_or((details->>'locked')::boolean) AS locked FROM audit_log WHERE action = 'sign_in_failed' AND target = 'email:carol@example.org'");
    assert.equal(audit.rows[0].n, 5);
    assert.equal(audit.rows[0].locked, true);

    await server.query("UPDATE sign_in_failures SET locked_until = now() - interval '1 second' WHERE key = 'email:carol@example.org'");
    const after = await agent.signIn(carol.email, carol.password);
    assert.equal(after.status, 303, 'sign-in works once the lock ended');
    const cleared = await server.query("SELECT 1 FROM sign_in_failures WHERE key = 'email:carol@example.org'");
    assert.equal(cleared.rowCount, 0);
  });
});

describe('session timeouts', () => {
  test('idle timeout ends the session', async () => {
    const agent = new Agent(server.url);
    await agent.signIn(alice.email, alice.password);
    const hash = sha256(agent.cookies.get('__Host-orgo_session'));
    await server.query("UPDATE sessions SET last_seen_at = now() - interval '2 hours' WHERE id_hash = $1", [hash]);
    const res = await agent.get('/settings');
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/login?return_to=%2Fsettings');
  });

  test('absolute lifetime ends the session', async () => {
    const agent = new Agent(server.url);
    await agent.signIn(alice.email, alice.password);
    const hash = sha256(agent.cookies.get('__Host-orgo_session'));
    await server.query("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id_hash = $1", [hash]);
    const res = await agent.get('/settings');
    assert.equal(res.status, 303);
  });
});

describe('sign-out', () => {
  test('POST /logout ends the session', async () => {
    const agent = new Agent(server.url);
    await agent.signIn(alice.email, alice.password);
    const token = agent.cookies.get('__Host-orgo_session');
    const page = await agent.get('/settings');
    const res = await agent.post('/logout', { csrf_token: csrfToken(page.text_) });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/login');
    assert.equal(agent.cookies.has('__Host-orgo_session'), false);
    const rows = await server.query('SELECT 1 FROM sessions WHERE id_hash = $1', [sha256(token)]);
    assert.equal(rows.rowCount, 0);

    const replay = new Agent(server.url);
    replay.cookies.set('__Host-orgo_session', token);
    assert.equal((await replay.get('/settings')).status, 303);
  });

  test('logout without CSRF token is rejected', async () => {
    const agent = new Agent(server.url);
    await agent.signIn(alice.email, alice.password);
    const res = await agent.post('/logout', { csrf_token: 'x'.repeat(43) });
    assert.equal(res.status, 403);
    assert.equal((await agent.get('/settings')).status, 200, 'session still valid');
  });

  test('logout from another origin is rejected', async () => {
    const agent = new Agent(server.url);
    await agent.signIn(alice.email, alice.password);
    const page = await agent.get('/settings');
    const res = await agent.post('/logout', { csrf_token: csrfToken(page.text_) }, { origin: 'https://evil.example' });
    assert.equal(res.status, 403);
  });
});

describe('login CSRF', () => {
  test('post without the form cookie is rejected', async () => {
    const agent = new Agent(server.url);
    const page = await agent.get('/login');
    agent.cookies.delete('__Host-orgo_login_csrf');
    const res = await agent.post('/login', { csrf_token: csrfToken(page.text_), email: alice.email, password: alice.password });
    assert.equal(res.status, 403);
    assert.match(res.text_, /The sign-in form expired\. Please try again\./);
    assert.equal(agent.cookies.has('__Host-orgo_session'), false);
  });

  test('post from another origin is rejected', async () => {
    const agent = new Agent(server.url);
    const page = await agent.get('/login');
    const res = await agent.post('/login', { csrf_token: csrfToken(page.text_), email: alice.email, password: alice.password },
      { origin: 'https://evil.example' });
    assert.equal(res.status, 403);
    assert.match(res.text_, /The sign-in request did not come from this site: it needs an Origin or Referer header/);
  });
});

describe('origin check with Origin: null', () => {
  // Browsers send "Origin: null" for form posts from pages with
  // Referrer-Policy: no-referrer; Sec-Fetch-Site then decides.
  async function postWith(headers) {
    const agent = new Agent(server.url);
    const page = await agent.get('/login');
    const body = new URLSearchParams({ csrf_token: csrfToken(page.text_), email: alice.email, password: alice.password }).toString();
    return agent.request('POST', '/login', {
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'null', ...headers }, body,
    });
  }

  test('same-origin Sec-Fetch-Site is accepted', async () => {
    const res = await postWith({ 'sec-fetch-site': 'same-origin' });
    assert.equal(res.status, 303);
  });

  test('cross-site Sec-Fetch-Site is rejected', async () => {
    const res = await postWith({ 'sec-fetch-site': 'cross-site' });
    assert.equal(res.status, 403);
  });

  test('no Sec-Fetch-Site is rejected', async () => {
    const res = await postWith({});
    assert.equal(res.status, 403);
  });
});

describe('return_to', () => {
  for (const target of ['//evil.example', 'https://evil.example', '/\\evil.example', '/\r\nSet-Cookie: x=1', 'javascript:alert(1)']) {
    test(`ignores ${target}`, async () => {
      const agent = new Agent(server.url);
      const res = await agent.signIn(alice.email, alice.password, target);
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), '/settings');
    });
  }

  test('keeps a local path with a query', async () => {
    const agent = new Agent(server.url);
    const res = await agent.signIn(alice.email, alice.password, '/settings?tab=2');
    assert.equal(res.headers.get('location'), '/settings?tab=2');
  });
});

describe('bad input', () => {
  async function postRaw(body, contentType = 'application/x-www-form-urlencoded') {
    const agent = new Agent(server.url);
    const page = await agent.get('/login');
    const token = csrfToken(page.text_);
    return agent.request('POST', '/login', {
      headers: { 'content-type': contentType }, body: body.replace('TOKEN', token),
    });
  }

  test('over-long email names the field', async () => {
    const res = await postRaw(`csrf_token=TOKEN&email=${'a'.repeat(300)}%40example.org&password=x`);
    assert.equal(res.status, 400);
    assert.match(res.text_, /email is longer than 254 bytes/);
  });

  test('invalid UTF-8 is rejected', async () => {
    const res = await postRaw('csrf_token=TOKEN&email=%C3%28%40example.org&password=x');
    assert.equal(res.status, 400);
    assert.match(res.text_, /email/);
  });

  test('NUL byte is rejected', async () => {
    const res = await postRaw('csrf_token=TOKEN&email=a%00b%40example.org&password=x');
    assert.equal(res.status, 400);
    assert.match(res.text_, /email/);
  });

  test('field given twice is rejected', async () => {
    const res = await postRaw('csrf_token=TOKEN&email=a%40example.org&email=b%40example.org&password=x');
    assert.equal(res.status, 400);
    assert.match(res.text_, /email is given more than once/);
  });

  test('wrong content type is rejected', async () => {
    const res = await postRaw('{"email":"a@example.org"}', 'application/json');
    assert.equal(res.status, 400);
    assert.match(res.text_, /application\/x-www-form-urlencoded/);
  });

  test('nothing is stored for bad input', async () => {
    const before = (await server.query('SELECT count(*)::int AS n FROM sessions')).rows[0].n;
    await postRaw('csrf_token=TOKEN&email=a%00b%40example.org&password=x');
    const afterCount = (await server.query('SELECT count(*)::int AS n FROM sessions')).rows[0].n;
    assert.equal(afterCount, before);
  });
});

describe('page headers', () => {
  test('login page forbids inline script and framing', async () => {
    const res = await new Agent(server.url).get('/login');
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy');
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(res.headers.get('strict-transport-security'), 'max-age=31536000; includeSubDomains');
    assert.equal(res.headers.get('server'), 'orgo');
    assert.doesNotMatch(res.text_, /<script>/, 'no inline script element');
  });
});
