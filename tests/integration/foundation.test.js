// Server foundation: TLS through the key manager, /healthz, migrations,
// settings validation.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { startServer, createDatabase, dbClient, freePort, ROOT, TMP } from '../helpers/server.js';

const CA = fs.readFileSync(path.join(TMP, 'certs/ca.pem'));

function handshake(port, version) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1', port, servername: 'localhost', ca: CA,
      minVersion: version, maxVersion: version,
    }, () => {
      const info = {
        protocol: socket.getProtocol(),
        authorized: socket.authorized,
        keyType: socket.getPeerX509Certificate().publicKey.asymmetricKeyType,
      };
      socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      let body = '';
      socket.on('data', (d) => { body += d; });
      socket.on('end', () => resolve({ ...info, response: body }));
    });
    socket.on('error', reject);
  });
}

function processUser(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)[1]);
}

function childPids(pid) {
  const out = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' }).stdout;
  return out.trim().split('\n').filter(Boolean).map((l) => {
    const m = /^\s*(\d+)\s+(.*)$/.exec(l);
    return { pid: Number(m[1]), args: m[2] };
  });
}

for (const certKind of ['rsa', 'ecdsa']) {
  describe(`TLS with ${certKind} certificate`, () => {
    let server;
    after(async () => server?.stop());

    for (const version of ['TLSv1.2', 'TLSv1.3']) {
      test(`${version} handshake through key manager`, async () => {
        server ??= await startServer({ certKind });
        const r = await handshake(server.port, version);
        assert.equal(r.protocol, version);
        assert.equal(r.authorized, true);
        assert.equal(r.keyType, certKind === 'rsa' ? 'rsa' : 'ec');
        assert.match(r.response, /^HTTP\/1\.1 200/);
        assert.match(r.response, /\{"status":"ok"\}/);
      });
    }

    test('workers and key manager run as orgo', async () => {
      server ??= await startServer({ certKind });
      const orgoUid = Number(execFileSync('id', ['-u', 'orgo'], { encoding: 'utf8' }).trim());
      const children = childPids(server.child.pid);
      assert.ok(children.length >= 3, `expected keymgr and 2 workers, got ${JSON.stringify(children)}`);
      for (const c of children) assert.equal(processUser(c.pid), orgoUid, c.args);
      const roots = children.map((c) => fs.readlinkSync(`/proc/${c.pid}/root`));
      assert.ok(roots.includes(path.join(server.dir, 'tls')), `keymgr chroot missing in ${roots}`);
      assert.ok(roots.includes(path.join(server.dir, 'chroot')), `worker chroot missing in ${roots}`);
    });
  });
}

describe('healthz', () => {
  test('answers 503 without PostgreSQL and recovers', async () => {
    const pgDir = path.join(TMP, 'pg-private-' + process.pid);
    const pgPort = await freePort();
    const pgsh = path.join(ROOT, 'scripts/pg.sh');
    execFileSync(pgsh, ['start', pgDir, String(pgPort), '--fast']);
    let server;
    try {
      server = await startServer({ pgDir });
      let res = await fetch(`${server.url}/healthz`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { status: 'ok' });

      execFileSync(pgsh, ['stop', pgDir]);
      res = await fetch(`${server.url}/healthz`);
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('content-type'), 'application/json');
      const body = await res.json();
      assert.equal(body.status, 'unavailable');
      assert.equal(body.error, 'database_unavailable');

      execFileSync(pgsh, ['start', pgDir, String(pgPort), '--fast']);
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        status = (await fetch(`${server.url}/healthz`)).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(status, 200);
      assert.equal(server.child.exitCode, null, 'server kept running');
    } finally {
      await server?.stop();
      execFileSync(pgsh, ['stop', pgDir]);
    }
  });
});

function orgoctl(args, env) {
  return spawnSync(path.join(ROOT, 'build/orgoctl'), args, {
    env: { PATH: process.env.PATH, ...env }, encoding: 'utf8',
  });
}

describe('migrations', () => {
  test('second run applies nothing', async () => {
    const db = createDatabase();
    const env = { ORGO_DATABASE: db.conninfo, ORGO_MIGRATIONS_DIR: path.join(ROOT, 'migrations') };
    const first = orgoctl(['migrate'], env);
    assert.equal(first.status, 0, first.stderr);
    const count = fs.readdirSync(path.join(ROOT, 'migrations')).filter((f) => /^\d{4}_.*\.sql$/.test(f)).length;
    assert.match(first.stdout, new RegExp(`^${count} migration\\(s\\) applied$`, 'm'));
    const second = orgoctl(['migrate'], env);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /^0 migration\(s\) applied$/m);
  });

  test('broken migration leaves no partial change', async () => {
    const db = createDatabase();
    const dir = fs.mkdtempSync(path.join(TMP, 'mig-'));
    fs.writeFileSync(path.join(dir, '0001_good.sql'), 'CREATE TABLE good_one (id int);');
    fs.writeFileSync(path.join(dir, '0002_broken.sql'),
      'CREATE TABLE half_done (id int);\nINSERT INTO half_done VALUES (1);\nSELECT no_such_column FROM good_one;');
    const env = { ORGO_DATABASE: db.conninfo, ORGO_MIGRATIONS_DIR: dir };
    const r = orgoctl(['migrate'], env);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /migration 0002_broken\.sql failed: ERROR: +column "no_such_column" does not exist/);

    const client = await dbClient(db.conninfo);
    try {
      const tables = await client.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1");
      assert.deepEqual(tables.rows.map((t) => t.table_name), ['good_one', 'schema_migrations']);
      const versions = await client.query('SELECT version FROM schema_migrations ORDER BY 1');
      assert.deepEqual(versions.rows.map((v) => v.version), ['0001_good.sql']);
    } finally {
      await client.end();
    }

    const started = await startServer({ database: db, env: { ORGO_MIGRATIONS_DIR: dir }, expectFailure: true });
    assert.notEqual(started.code, 0);
    assert.match(started.output, /0002_broken\.sql failed: ERROR: +column "no_such_column" does not exist/);
  });
});

describe('settings', () => {
  const cases = [
    ['ORGO_ACCESS_TOKEN_TTL', 'abc', /ORGO_ACCESS_TOKEN_TTL: invalid value 'abc', expected an integer from 60 to 86400/],
    ['ORGO_CODE_TTL', '3600', /ORGO_CODE_TTL: invalid value '3600', expected an integer from 10 to 600/],
    ['ORGO_ISSUER', 'http://example.com', /ORGO_ISSUER: invalid URL 'http:\/\/example.com': must start with https:\/\//],
    ['ORGO_ISSUER', 'https://id.example.com/', /ORGO_ISSUER: invalid URL .*must not end with '\/'/],
  ];
  for (const [name, value, expected] of cases) {
    test(`${name}=${value} stops start-up`, async () => {
      const r = await startServer({ env: { [name]: value }, expectFailure: true });
      assert.notEqual(r.code, 0);
      assert.match(r.output, expected);
    });
  }

  test('missing ORGO_DATABASE stops start-up', async () => {
    const r = await startServer({ env: { ORGO_DATABASE: '' }, expectFailure: true });
    assert.notEqual(r.code, 0);
    assert.match(r.output, /ORGO_DATABASE is not set/);
  });

  test('orgoctl version', () => {
    const r = orgoctl(['version'], {});
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^orgoctl \d+\.\d+\.\d+$/m);
  });
});
