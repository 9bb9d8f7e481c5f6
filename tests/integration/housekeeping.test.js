// The periodic purge removes expired rows and keeps live ones.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { dbClient, pgConfig, startServer } from '../helpers/server.js';
import { addMember, orgoctl } from '../helpers/http.js';

let server;
let memberId;
let clientPk;

before(async () => {
  server = await startServer({ env: { ORGO_HOUSEKEEPING_INTERVAL: '1' } });
  memberId = addMember(server, { email: 'kim@example.org', name: 'Kim' }).id;
  const app = JSON.parse(orgoctl(server, ['app', 'add', '--name', 'Wiki',
    '--redirect-uri', 'https://wiki.example.org/cb', '--json']));
  clientPk = (await server.query('SELECT id FROM clients WHERE client_id = $1', [app.client_id])).rows[0].id;
});
after(async () => server?.stop());

async function waitFor(check, ms = 10000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

test('expired rows are purged, live rows kept', async () => {
  const sessionSql = `INSERT INTO sessions (id_hash, member_id, csrf_token, idle_timeout, expires_at, last_seen_at)
    VALUES ($1, $2, 'x', interval '1 hour', $3, now())`;
  await server.query(sessionSql, ['expired-session', memberId, new Date(Date.now() - 1000)]);
  await server.query(sessionSql, ['live-session', memberId, new Date(Date.now() + 3600000)]);
  const requestSql = `INSERT INTO authorization_requests (handle_hash, client_id, redirect_uri, redirect_uri_given, scopes, expires_at)
    VALUES ($1, $2, 'https://wiki.example.org/cb', true, 'openid', $3)`;
  await server.query(requestSql, ['expired-request', clientPk, new Date(Date.now() - 1000)]);
  await server.query(requestSql, ['live-request', clientPk, new Date(Date.now() + 600000)]);
  const codeSql = `INSERT INTO authorization_codes (code_hash, client_id, member_id, redirect_uri, redirect_uri_given, scopes, auth_time, expires_at)
    VALUES ($1, $2, $3, 'https://wiki.example.org/cb', true, 'openid', now(), $4)`;
  await server.query(codeSql, ['old-code', clientPk, memberId, new Date(Date.now() - 2 * 3600000)]);
  await server.query(codeSql, ['recent-code', clientPk, memberId, new Date(Date.now() - 60000)]);

  const purged = await waitFor(async () => {
    const r = await server.query("SELECT count(*)::int AS n FROM sessions WHERE id_hash = 'expired-session'");
    return r.rows[0].n === 0;
  });
  assert.equal(purged, true, 'expired session purged within 10 s');

  const left = async (table, column) => (await server.query(
    `SELECT ${column} AS k FROM ${table} ORDER BY 1`)).rows.map((r) => r.k);
  assert.deepEqual(await left('sessions', 'id_hash'), ['live-session']);
  assert.deepEqual(await left('authorization_requests', 'handle_hash'), ['live-request']);
  // A used code is kept an hour past expiry so a late replay is detected.
  assert.deepEqual(await left('authorization_codes', 'code_hash'), ['recent-code']);
});

// Forwards connections to PostgreSQL, so a test can reset all of them as
// a broken network would: no message from PostgreSQL, only a TCP reset.
async function startProxy(target) {
  const sockets = new Set();
  const proxy = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: proxy.address().port,
    reset() { for (const sock of sockets) sock.resetAndDestroy(); sockets.clear(); },
    close() { this.reset(); proxy.close(); },
  };
}

test('purge resumes after connection reset', async () => {
  // Only the second server, reaching PostgreSQL through the proxy, purges.
  await server.stop();
  const target = pgConfig(server.db.conninfo);
  const proxy = await startProxy(target);
  const conninfo = server.db.conninfo.replace(/port=\d+/, `port=${proxy.port}`);
  const second = await startServer({
    database: server.db, env: { ORGO_HOUSEKEEPING_INTERVAL: '1', ORGO_DATABASE: conninfo },
  });
  const locker = await dbClient(server.db.conninfo);
  try {
    // Hold a purge on a lock, then reset every connection of the server.
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE');
    const waiting = await waitFor(async () => {
      const r = await server.query(`SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE wait_event_type = 'Lock' AND query LIKE 'WITH codes AS (DELETE FROM authorization_codes%'`);
      return r.rows[0].n > 0;
    });
    assert.equal(waiting, true, 'a purge waits for the lock');
    proxy.reset();
    await locker.query('ROLLBACK');

    await server.query(`INSERT INTO sessions (id_hash, member_id, csrf_token, idle_timeout, expires_at, last_seen_at)
      VALUES ('expired-after-reset', $1, 'x', interval '1 hour', now() - interval '1 second', now())`, [memberId]);
    const purged = await waitFor(async () => {
      const r = await server.query("SELECT count(*)::int AS n FROM sessions WHERE id_hash = 'expired-after-reset'");
      return r.rows[0].n === 0;
    });
    assert.equal(purged, true, 'expired session purged within 10 s of the reset');
    assert.match(second.output, /housekeeping: query failed/);
  } finally {
    await locker.end();
    await second.stop();
    proxy.close();
  }
});
