// Starts the real server for a test: its own database in the shared test
// cluster, its own free loopback port, TLS with a certificate from the test
// CA, workers and key manager privilege separated as in production. Kore
// and orgo.so come from build/, or from the folder in ORGO_TEST_BUILD.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import crypto from 'node:crypto';
import pg from 'pg';

export const ROOT = process.env.ORGO_TEST_ROOT ?? path.resolve(import.meta.dirname, '../..');
// The folder of this test run (scripts/test.sh sets it).
export const TMP = process.env.ORGO_TEST_TMP ?? path.join(ROOT, 'tests/.tmp');
// The folder with kore and orgo.so: build-asan runs the server under ASan.
export const BUILD = path.resolve(ROOT, process.env.ORGO_TEST_BUILD ?? 'build');
const PG_DIR = process.env.ORGO_TEST_PG_DIR ?? path.join(TMP, 'pg');

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Creates a new database owned by 'orgo' and returns its conninfo.
export function createDatabase(pgDir = PG_DIR) {
  const name = 't_' + crypto.randomBytes(6).toString('hex');
  const conninfo = execFileSync(path.join(ROOT, 'scripts/pg.sh'),
    ['createdb', pgDir, name], { encoding: 'utf8' }).trim();
  return { name, conninfo };
}

// Turns a libpq key=value string into a node-postgres client config.
export function pgConfig(conninfo) {
  const cfg = {};
  for (const part of conninfo.split(/\s+/)) {
    const [k, v] = part.split('=');
    if (k === 'host') cfg.host = v;
    else if (k === 'port') cfg.port = Number(v);
    else if (k === 'dbname') cfg.database = v;
    else if (k === 'user') cfg.user = v;
    else if (k === 'password') cfg.password = v;
  }
  return cfg;
}

export async function dbClient(conninfo) {
  const client = new pg.Client(pgConfig(conninfo));
  await client.connect();
  return client;
}

function writeConfig(dir, { port, certKind, tlsVersion, extraConfig }) {
  const chroot = path.join(dir, 'chroot');
  const tls = path.join(dir, 'tls');
  fs.mkdirSync(chroot, { recursive: true });
  fs.mkdirSync(tls, { recursive: true });
  fs.chmodSync(dir, 0o755);
  for (const f of ['cert.pem', 'key.pem']) {
    fs.copyFileSync(path.join(TMP, 'certs', certKind, f), path.join(tls, f));
    execFileSync('chown', ['orgo', path.join(tls, f)]);
  }
  fs.chmodSync(path.join(tls, 'key.pem'), 0o600);

  const conf = `
server tls {
	bind 127.0.0.1 ${port}
}
load ${BUILD}/orgo.so
tls_version ${tlsVersion}
tls_dhparam ${ROOT}/dh2048.pem
runas orgo
root ${chroot}
keymgr_runas orgo
keymgr_root ${tls}
workers 2
http_body_max 131072
http_header_max 16384
http_hsts_enable 0
${extraConfig ?? ''}
domain * {
	attach tls
	certfile cert.pem
	certkey key.pem
	include ${ROOT}/conf/routes.conf
}
`;
  const file = path.join(dir, 'kore.conf');
  fs.writeFileSync(file, conf);
  return file;
}

export function baseEnv(conninfo, port, extra = {}) {
  return {
    PATH: process.env.PATH,
    ORGO_ISSUER: `https://localhost:${port}`,
    ORGO_DATABASE: conninfo,
    ORGO_MIGRATIONS_DIR: path.join(ROOT, 'migrations'),
    ORGO_ASSETS_DIR: path.join(ROOT, 'assets'),
    ORGO_MASTER_KEY_FILE: path.join(TMP, 'master.key'),
    // Tests send bursts of token requests for one client; rate-limit.test.js
    // turns the limit on for itself.
    ORGO_TOKEN_RATE_LIMIT: '0',
    // Huge pages for Argon2id memory, as make run and the systemd unit set.
    GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1',
    // Read by a build-asan server only. Leak checks are off unless asked
    // for, because Kore's parent keeps its memory pools until exit.
    ASAN_OPTIONS: process.env.ASAN_OPTIONS ?? 'detect_leaks=0',
    UBSAN_OPTIONS: process.env.UBSAN_OPTIONS ?? 'print_stacktrace=1',
    ...extra,
  };
}

// Spawns Kore and resolves once /healthz returns 200, or rejects with the
// server's output when it exits or does not come up within 30 s.
export async function startServer(opts = {}) {
  const certKind = opts.certKind ?? 'rsa';
  const tlsVersion = opts.tlsVersion ?? 'both';
  const db = opts.database ?? createDatabase(opts.pgDir);
  const port = opts.port ?? await freePort();
  const dir = fs.mkdtempSync(path.join(TMP, 'srv-'));
  const confFile = writeConfig(dir, { port, certKind, tlsVersion, extraConfig: opts.extraConfig });
  const env = baseEnv(db.conninfo, port, opts.env);

  const child = spawn(path.join(BUILD, 'kore'), ['-f', '-c', confFile], {
    cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

  const url = `https://localhost:${port}`;
  const server = {
    url, port, db, dir, child, env,
    get output() { return output; },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10000);
        await exited;
        clearTimeout(t);
      }
      // A build-asan server reports memory errors and undefined behaviour
      // on stderr and may keep serving, so the test fails here instead.
      if (/ERROR: (Address|Leak)Sanitizer|runtime error:/.test(output)) {
        throw new Error('sanitizer report in the server output:\n' + output);
      }
    },
    async query(sql, params = []) {
      const c = await dbClient(db.conninfo);
      try { return await c.query(sql, params); } finally { await c.end(); }
    },
  };

  if (opts.expectFailure) {
    const result = await Promise.race([
      exited,
      new Promise((r) => setTimeout(() => r(null), 30000)),
    ]);
    if (result === null) {
      await server.stop();
      throw new Error('server did not exit:\n' + output);
    }
    return { ...result, output };
  }

  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server exited (${child.exitCode ?? child.signalCode}):\n${output}`);
    }
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.status === 200) return server;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  await server.stop();
  throw new Error('server did not become healthy within 30 s:\n' + output);
}
