// `make bench`: our server and node-oidc-provider side by side in one run,
// each over TLS with keep-alive on 127.0.0.1, loaded by the same wrk
// command in turns (ours, peer, ours, peer). See docs/benchmarks.md for
// what each scenario does and what bounds it.
//
// Settings (environment):
//   BENCH_SECONDS=10       length of one wrk run
//   BENCH_ROUNDS=2         runs per server and scenario, alternating
//   BENCH_CONNECTIONS=64   wrk -c
//   BENCH_THREADS=2        wrk -t
//   BENCH_ONLY=a,b         only these scenarios (names in SCENARIOS)
//   BENCH_PEER_WORKERS=2   node-oidc-provider processes (node:cluster)
//   BENCH_DB_CONNECTIONS   ORGO_DB_CONNECTIONS for ours and the peer's pool
//                          size per process (default: ours' default, 16)
//   BENCH_PERF=a,b         perf record our processes during their first runs
//   BENCH_KEEP=1           keep the PostgreSQL cluster of the run
//   BENCH_BUILD=build      folder of kore, orgo.so and orgoctl (make bench
//                          builds into build-bench)
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import {
  ROOT, cpuAccount, freePort, httpsClient, log, memorySampler, parseSpeed,
  processTree, run, runWrk, sleep, startChild, stopAll, stopChild, treeDetail,
  treeMemory, waitFor200,
} from './lib.mjs';
import {
  GROUPS, ROLES, newToken, pgConfig, seedCodes, seedMembers,
  seedRefreshTokens, withClient, writePool,
} from './seed.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : null;
const PEER_WORKERS = Number(process.env.BENCH_PEER_WORKERS ?? 2);
const DB_CONNECTIONS = process.env.BENCH_DB_CONNECTIONS ?? '4';
const PERF = process.env.BENCH_PERF ? process.env.BENCH_PERF.split(',') : [];
const SIGNIN_CONNECTIONS = 4;
const BUILD = path.resolve(ROOT, process.env.BENCH_BUILD ?? 'build');

// Requests per second that each pool of single-use tokens must cover, with
// room to spare. A pool that runs out shows as pool_exhausted in the
// results, never as a silently reused token.
const RATE_ROOM = { ours: 6000, peer: 3000 };
const poolSize = (side) => Math.ceil(RATE_ROOM[side] * SECONDS * ROUNDS);
const ACCESS_TOKENS = 4000;
const MEMBERS = 1000;
const MEMBER_PASSWORD = 'bench password 0123456789';
const REDIRECT_URI = 'https://app.bench.test/callback';
const CODE_VERIFIER = newToken() + newToken().slice(0, 20);

const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
const OUT = path.join(ROOT, 'bench/results', stamp);
const POOLS = path.join(OUT, 'pools');

const selected = (name) => ONLY === null || ONLY.includes(name);

function machineInfo() {
  const cpu = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  const mem = /^MemTotal:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
  const oidcProvider = JSON.parse(fs.readFileSync(
    path.join(ROOT, 'node_modules/oidc-provider/package.json'), 'utf8')).version;
  const first = (s) => s.split('\n')[0].trim();
  return {
    nproc: Number(run('nproc', []).trim()),
    cpu: cpu ? cpu[1] : 'unknown',
    memory_gib: mem ? Math.round(Number(mem[1]) / 1024 / 1024 * 10) / 10 : null,
    kernel: run('uname', ['-r']).trim(),
    kore: first(run(path.join(BUILD, 'kore'), ['-v'])),
    openssl: first(run('openssl', ['version'])),
    postgres: first(run('/usr/lib/postgresql/15/bin/postgres', ['--version'])),
    node: process.version,
    oidc_provider: oidcProvider,
    // wrk -v prints its version and exits with status 1.
    wrk: first(spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout),
  };
}

// `openssl speed` on one core and on every core, before any server runs.
function cryptoCeiling() {
  log('openssl speed -seconds 3 rsa2048 ecdsap256 (one core)');
  const one = run('openssl', ['speed', '-seconds', '3', 'rsa2048', 'ecdsap256'], { stdio: ['ignore', 'pipe', 'ignore'] });
  fs.writeFileSync(path.join(OUT, 'openssl-speed.txt'), one);
  const cores = Number(run('nproc', []).trim());
  log(`openssl speed -multi ${cores} -seconds 3 rsa2048`);
  const multi = run('openssl', ['speed', '-multi', String(cores), '-seconds', '3', 'rsa2048'], { stdio: ['ignore', 'pipe', 'ignore'] });
  fs.writeFileSync(path.join(OUT, 'openssl-speed-multi.txt'), multi);
  return { one_core: parseSpeed(one), all_cores: parseSpeed(multi), cores };
}

// kore.conf with the port, the chroot and the key manager's folder of
// this run; every other setting is the production one.
function koreConfig(dir, port) {
  let conf = fs.readFileSync(path.join(ROOT, 'kore.conf'), 'utf8');
  const edits = [
    [/^\tbind 127\.0\.0\.1 \d+$/m, `\tbind 127.0.0.1 ${port}`],
    [/^load .*$/m, `load ${BUILD}/orgo.so`],
    [/^root .*$/m, `root ${dir}/chroot`],
    [/^keymgr_root .*$/m, `keymgr_root ${dir}/tls`],
  ];
  for (const [pattern, replacement] of edits) {
    if (!pattern.test(conf)) {
      throw new Error(`kore.conf has no line matching ${pattern}: update koreConfig() in bench/run.mjs`);
    }
    conf = conf.replace(pattern, replacement);
  }
  const file = path.join(dir, 'kore.conf');
  fs.writeFileSync(file, conf);
  return file;
}

function basic(id, secret) {
  return 'Basic ' + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64');
}

async function main() {
  if (process.getuid() !== 0) {
    throw new Error('run as root: Kore drops privileges to the orgo user and PostgreSQL runs as postgres');
  }
  fs.mkdirSync(POOLS, { recursive: true });
  fs.chmodSync(OUT, 0o755);
  const latest = path.join(ROOT, 'bench/results/latest');
  fs.rmSync(latest, { force: true });
  fs.symlinkSync(stamp, latest);
  log(`results in ${OUT}`);

  const results = { started: new Date().toISOString(), settings: { SECONDS, ROUNDS, CONNECTIONS, THREADS, PEER_WORKERS, DB_CONNECTIONS }, runs: [] };
  results.machine = machineInfo();
  results.crypto = cryptoCeiling();

  // ---- TLS, master key, PostgreSQL -------------------------------------
  const certs = path.join(OUT, 'certs');
  run(path.join(ROOT, 'scripts/test-certs.sh'), [certs]);
  const request = httpsClient(path.join(certs, 'ca.pem'));
  const srv = path.join(OUT, 'ours');
  fs.mkdirSync(path.join(srv, 'chroot'), { recursive: true });
  fs.mkdirSync(path.join(srv, 'tls'), { recursive: true });
  fs.chmodSync(srv, 0o755);
  for (const f of ['cert.pem', 'key.pem']) {
    fs.copyFileSync(path.join(certs, 'rsa', f), path.join(srv, 'tls', f));
    run('chown', ['orgo', path.join(srv, 'tls', f)]);
  }
  fs.chmodSync(path.join(srv, 'tls/key.pem'), 0o600);
  const masterKey = path.join(OUT, 'master.key');
  fs.writeFileSync(masterKey, crypto.randomBytes(32).toString('hex') + '\n', { mode: 0o600 });

  const pgDir = path.join(OUT, 'pg');
  const pgPort = await freePort();
  log(`PostgreSQL on 127.0.0.1:${pgPort} (fsync and synchronous_commit on)`);
  run(path.join(ROOT, 'scripts/pg.sh'), ['start', pgDir, String(pgPort)]);
  cleanups.push(() => run(path.join(ROOT, 'scripts/pg.sh'), ['stop', pgDir]));
  const pgPid = Number(fs.readFileSync(path.join(pgDir, 'data/postmaster.pid'), 'utf8').split('\n')[0]);
  const oursDb = fs.readFileSync(path.join(pgDir, 'conninfo'), 'utf8').trim();
  const peerDb = run(path.join(ROOT, 'scripts/pg.sh'), ['createdb', pgDir, 'peer']).trim();

  // ---- Our data ----------------------------------------------------------
  const oursPort = await freePort();
  const oursUrl = `https://127.0.0.1:${oursPort}`;
  const oursIssuer = `https://localhost:${oursPort}`;
  const env = {
    PATH: process.env.PATH,
    ORGO_ISSUER: oursIssuer,
    ORGO_DATABASE: oursDb,
    ORGO_MIGRATIONS_DIR: path.join(ROOT, 'migrations'),
    ORGO_ASSETS_DIR: path.join(ROOT, 'assets'),
    ORGO_MASTER_KEY_FILE: masterKey,
    // Access tokens are fetched before the load and must last the run.
    ORGO_ACCESS_TOKEN_TTL: '3600',
    ORGO_DB_CONNECTIONS: DB_CONNECTIONS,
    // One client sends all the load: the per-client limit (50/s by
    // default) stays on, with a ceiling that the load never reaches.
    ORGO_TOKEN_RATE_LIMIT: '1000000',
    // Huge pages for Argon2id memory, as make run and the systemd unit set.
    GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1',
  };
  const orgoctl = (args, input) => run(path.join(BUILD, 'orgoctl'), args, { env, input });
  orgoctl(['migrate']);
  const app = JSON.parse(orgoctl(['app', 'add', '--name', 'Bench', '--redirect-uri', REDIRECT_URI,
    '--scope', 'profile', '--scope', 'email', '--scope', 'groups', '--scope', 'roles', '--json']));
  orgoctl(['member', 'add', '--email', 'template@bench.test', '--name', 'Template', '--verified',
    '--password-stdin', '--json'], MEMBER_PASSWORD + '\n');

  log(`seeding ${MEMBERS} members, ${poolSize('ours')} refresh tokens and codes for ours`);
  const seeded = await withClient(oursDb, async (db) => {
    const { rows: [client] } = await db.query('SELECT id FROM clients WHERE client_id = $1', [app.client_id]);
    const members = await seedMembers(db, 'template@bench.test', MEMBERS);
    const refresh = await seedRefreshTokens(db, client.id, members, poolSize('ours') + 1);
    const forAccess = await seedRefreshTokens(db, client.id, members, ACCESS_TOKENS);
    const codes = await seedCodes(db, client.id, members, poolSize('ours') + 1, REDIRECT_URI, CODE_VERIFIER);
    await db.query('VACUUM ANALYZE');
    return { members, refresh, forAccess, codes };
  });
  const check = { refresh: seeded.refresh.pop(), code: seeded.codes.pop() };
  writePool(path.join(POOLS, 'ours-refresh.txt'), seeded.refresh);
  writePool(path.join(POOLS, 'ours-codes.txt'), seeded.codes);
  writePool(path.join(POOLS, 'ours-signin.txt'), seeded.members.map((m) => encodeURIComponent(m.email)));

  // ---- Our server: first start creates the signing key -------------------
  const confFile = koreConfig(srv, oursPort);
  const startOurs = async () => {
    const t0 = performance.now();
    const child = startChild('kore', path.join(BUILD, 'kore'), ['-f', '-c', confFile],
      { logFile: path.join(OUT, 'kore.log'), env });
    const ms = await waitFor200(request, `${oursUrl}/healthz`, child, t0);
    return { child, ms };
  };
  let ours = await startOurs();
  results.startup_first_ms = ours.ms;
  const oursAuth = basic(app.client_id, app.client_secret);
  const form = { 'content-type': 'application/x-www-form-urlencoded' };

  log(`fetching ${ACCESS_TOKENS} access tokens from ours through the refresh grant`);
  // Four requests in flight, each waiting up to a minute: a request that
  // Kore 4.1 leaves runnable when its event loop goes back to sleep waits
  // for the next timer, up to 30 s (see docs/benchmarks.md).
  const access = [];
  let nextToken = 0;
  let slow = 0;
  async function fetchAccess() {
    while (nextToken < seeded.forAccess.length) {
      const rt = seeded.forAccess[nextToken++];
      const t = performance.now();
      const a = await request(`${oursUrl}/oauth/token`, {
        method: 'POST', headers: { ...form, authorization: oursAuth },
        body: `grant_type=refresh_token&refresh_token=${rt}`,
      });
      if (performance.now() - t > 1000) slow++;
      if (a.status !== 200) throw new Error(`refresh for an access token: ${a.status} ${a.text}`);
      access.push(a.json.access_token);
    }
  }
  await Promise.all([fetchAccess(), fetchAccess(), fetchAccess(), fetchAccess()]);
  if (slow > 0) log(`${slow} of those requests took more than 1 s`);
  results.access_fetch_slow = slow;
  writePool(path.join(POOLS, 'ours-access.txt'), access);
  await stopChild(ours.child);

  // ---- Peer data -----------------------------------------------------------
  const peerPort = await freePort();
  const peerUrl = `https://127.0.0.1:${peerPort}`;
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig', kid: 'bench-rs256' };
  const jwkFile = path.join(OUT, 'peer-jwk.json');
  fs.writeFileSync(jwkFile, JSON.stringify(jwk), { mode: 0o600 });
  const peerConfigFile = path.join(OUT, 'peer-config.json');
  fs.writeFileSync(peerConfigFile, JSON.stringify({
    issuer: `https://localhost:${peerPort}`,
    port: peerPort,
    peerWorkers: PEER_WORKERS,
    pg: pgConfig(peerDb),
    dbConnections: Number(DB_CONNECTIONS),
    jwkFile,
    cookieKey: newToken(),
    client: { id: app.client_id, secret: app.client_secret, redirectUri: REDIRECT_URI },
    accounts: seeded.members.map((m) => ({ subject: m.subject, email: m.email, name: m.name })),
    groups: GROUPS,
    roles: ROLES,
    pools: { peer: { access: ACCESS_TOKENS, refresh: poolSize('peer') + 1, codes: poolSize('peer') + 1 } },
    codeVerifier: CODE_VERIFIER,
    poolDir: POOLS,
    tls: { key: path.join(certs, 'rsa/key.pem'), cert: path.join(certs, 'rsa/cert.pem') },
  }));
  log(`minting ${poolSize('peer')} refresh tokens and codes for the peer`);
  run('node', [path.join(ROOT, 'bench/peer.mjs'), 'mint', peerConfigFile], { env: { ...process.env, NODE_ENV: 'production' } });
  for (const kind of ['refresh', 'codes']) {
    const file = path.join(POOLS, `peer-${kind}.txt`);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    check[`peer_${kind}`] = lines.pop();
    writePool(file, lines);
  }

  // ---- Start both, measured ---------------------------------------------
  ours = await startOurs();
  results.startup_ms = { ours: ours.ms };
  const t0 = performance.now();
  const peer = startChild('peer', 'node', [path.join(ROOT, 'bench/peer.mjs'), 'serve', peerConfigFile],
    { logFile: path.join(OUT, 'peer.log'), env: { ...process.env, NODE_ENV: 'production' } });
  results.startup_ms.peer = await waitFor200(request, `${peerUrl}/.well-known/openid-configuration`, peer, t0);
  log(`start-up to first 200: ours ${ours.ms.toFixed(0)} ms, peer ${results.startup_ms.peer.toFixed(0)} ms`);
  if (PEER_WORKERS > 1) await sleep(2000); // every worker listening

  const trees = { ours: ours.child.pid, peer: peer.pid, postgres: pgPid };
  await sleep(2000);
  results.memory_idle = Object.fromEntries(Object.entries(trees).map(([k, pid]) => [k, treeMemory(pid)]));
  results.processes_idle = { ours: treeDetail(ours.child.pid), peer: treeDetail(peer.pid) };

  // ---- Scenarios -------------------------------------------------------------
  const peerAuth = oursAuth;
  const oursOrigin = oursIssuer;
  const csrf = newToken();
  const SCENARIOS = [
    {
      name: 'userinfo', expect: 200,
      ours: { method: 'GET', path: '/oauth/userinfo', auth: 'Bearer {token}', pool: 'ours-access.txt', reuse: true, check: access[0] },
      peer: { method: 'GET', path: '/me', auth: 'Bearer {token}', pool: 'peer-access.txt', reuse: true },
    },
    {
      name: 'refresh_token', expect: 200,
      ours: { method: 'POST', path: '/oauth/token', auth: oursAuth, headers: form, body: 'grant_type=refresh_token&refresh_token={token}', pool: 'ours-refresh.txt', check: check.refresh },
      peer: { method: 'POST', path: '/token', auth: peerAuth, headers: form, body: 'grant_type=refresh_token&refresh_token={token}', pool: 'peer-refresh.txt', check: check.peer_refresh },
    },
    {
      name: 'client_credentials', expect: 200,
      ours: { method: 'POST', path: '/oauth/token', auth: oursAuth, headers: form, body: 'grant_type=client_credentials' },
      peer: { method: 'POST', path: '/token', auth: peerAuth, headers: form, body: 'grant_type=client_credentials' },
    },
    {
      name: 'authorization_code', expect: 200,
      ours: { method: 'POST', path: '/oauth/token', auth: oursAuth, headers: form, body: `grant_type=authorization_code&code={token}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&code_verifier=${CODE_VERIFIER}`, pool: 'ours-codes.txt', check: check.code },
      peer: { method: 'POST', path: '/token', auth: peerAuth, headers: form, body: `grant_type=authorization_code&code={token}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&code_verifier=${CODE_VERIFIER}`, pool: 'peer-codes.txt', check: check.peer_codes },
    },
    {
      name: 'discovery', expect: 200,
      ours: { method: 'GET', path: '/.well-known/openid-configuration' },
      peer: { method: 'GET', path: '/.well-known/openid-configuration' },
    },
    {
      name: 'jwks', expect: 200,
      ours: { method: 'GET', path: '/oauth/jwks' },
      peer: { method: 'GET', path: '/jwks' },
    },
    { name: 'healthz', expect: 200, ours: { method: 'GET', path: '/healthz' } },
    { name: 'static_css', expect: 200, ours: { method: 'GET', path: '/assets/style.css' } },
  ];
  const signinSpec = {
    method: 'POST', path: '/login', pool: 'ours-signin.txt', reuse: true,
    headers: { ...form, cookie: `__Host-orgo_login_csrf=${csrf}`, origin: oursOrigin },
    body: `email={token}&password=${encodeURIComponent(MEMBER_PASSWORD)}&csrf_token=${csrf}`,
  };
  const bases = { ours: oursUrl, peer: peerUrl };

  // One request of each kind first, with the exact status it must have.
  const fill = (s, token) => (s ?? '').replaceAll('{token}', token ?? '');
  async function checkOnce(side, spec, expect, token) {
    const headers = { ...(spec.headers ?? {}) };
    if (spec.auth) headers.authorization = fill(spec.auth, token);
    const res = await request(bases[side] + spec.path, {
      method: spec.method, headers, body: spec.body ? fill(spec.body, token) : undefined,
    });
    if (res.status !== expect) {
      throw new Error(`${side} ${spec.method} ${spec.path}: expected ${expect}, got ${res.status}: ${res.text.slice(0, 300)}`);
    }
    return res;
  }
  const peerAccess = fs.readFileSync(path.join(POOLS, 'peer-access.txt'), 'utf8').split('\n')[0];
  for (const sc of SCENARIOS.filter((s) => selected(s.name))) {
    for (const side of ['ours', 'peer']) {
      const spec = sc[side];
      if (!spec) continue;
      const token = spec.check ?? (spec.pool === 'peer-access.txt' ? peerAccess : undefined);
      const res = await checkOnce(side, spec, sc.expect, token);
      if (sc.name === 'refresh_token' && !res.json?.id_token) throw new Error(`${side} refresh: no id_token`);
    }
  }
  await checkOnce('ours', { ...signinSpec }, 303, encodeURIComponent(seeded.members[0].email));
  log('every scenario answered its check request');

  const varsFor = (spec, part) => {
    const headers = Object.entries(spec.headers ?? {}).map(([k, v]) => `${k}: ${v}`).join('\n');
    return {
      BENCH_METHOD: spec.method,
      BENCH_PATH: spec.path,
      BENCH_HEADERS: headers,
      BENCH_BODY: spec.body ?? '',
      BENCH_AUTH: spec.auth ?? '',
      BENCH_POOL: spec.pool ? path.join(POOLS, spec.pool) : '',
      BENCH_POOL_REUSE: spec.reuse ? '1' : '0',
      BENCH_PART: String(part),
      BENCH_PARTS: String(ROUNDS),
    };
  };

  async function perfRecord(pidRoot, seconds, name) {
    const pids = treeDetail(pidRoot).map((p) => p.pid).join(',');
    const data = path.join(OUT, `perf-${name}.data`);
    const child = startChild('perf', 'perf', ['record', '-g', '-o', data, '-p', pids, '--', 'sleep', String(seconds)],
      { logFile: path.join(OUT, 'perf.log') });
    return async () => {
      await child.exited;
      fs.writeFileSync(path.join(OUT, `perf-${name}.txt`),
        run('perf', ['report', '-i', data, '--stdio', '--no-children', '--percent-limit', '0.5'], { maxBuffer: 64 << 20 }));
    };
  }

  const cpuGroups = () => ({
    ...Object.fromEntries(Object.entries(trees).map(([k, pid]) => [k, processTree(pid)])),
    bench: [process.pid],
  });

  // Wait up to 10 s for other processes on the machine to use less than a
  // fifth of a core, and return what they used in the last second.
  async function quietGate() {
    let used = 0;
    for (let i = 0; i < 10; i++) {
      const probe = cpuAccount(cpuGroups);
      await sleep(1000);
      used = probe.stop().other;
      if (used < 0.2) break;
    }
    return used;
  }

  async function oneRun(sc, side, round, extra = {}) {
    const spec = sc[side];
    const file = path.join(OUT, `wrk-${sc.name}-${side}-${round}.json`);
    const before = await quietGate();
    const cpu = cpuAccount(cpuGroups);
    const sampler = memorySampler(trees);
    const perfDone = PERF.includes(sc.name) && side === 'ours' && round === 0
      ? await perfRecord(ours.child.pid, SECONDS - 1, sc.name) : null;
    const r = await runWrk({
      url: bases[side], seconds: SECONDS, connections: CONNECTIONS, threads: THREADS,
      vars: varsFor(spec, round), outFile: file, ...extra,
    });
    const peak = sampler.stop();
    const cores = cpu.stop();
    if (perfDone) await perfDone();
    const row = summarize(sc.name, side, round, r, peak, cores, before);
    results.runs.push(row);
    log(`${sc.name} ${side} #${round + 1}: ${row.rps.toFixed(0)} req/s, p50 ${row.p50_ms.toFixed(2)} ms, ` +
      `p99 ${row.p99_ms.toFixed(2)} ms, errors ${row.errors}, ours RSS ${(peak.ours.rss / 1024).toFixed(1)} MiB, ` +
      `CPU cores: ours ${cores.ours.toFixed(2)}, peer ${cores.peer.toFixed(2)}, ` +
      `postgres ${cores.postgres.toFixed(2)}, other ${cores.other.toFixed(2)}, machine ${cores.machine.toFixed(2)}`);
    return row;
  }

  for (const sc of SCENARIOS.filter((s) => selected(s.name))) {
    for (let round = 0; round < ROUNDS; round++) {
      for (const side of ['ours', 'peer']) {
        if (sc[side]) await oneRun(sc, side, round);
      }
    }
  }

  // Sign-ins (Argon2id on Kore task threads) next to the userinfo load.
  if (selected('signin')) {
    const userinfo = SCENARIOS[0];
    for (let round = 0; round < ROUNDS; round++) {
      await oneRun({ ...userinfo, name: 'userinfo_alone' }, 'ours', round);
      const before = await quietGate();
      const cpu = cpuAccount(cpuGroups);
      const sampler = memorySampler(trees);
      const signinFile = path.join(OUT, `wrk-signin-ours-${round}.json`);
      const [u, s] = await Promise.all([
        runWrk({
          url: oursUrl, seconds: SECONDS, connections: CONNECTIONS, threads: THREADS,
          vars: varsFor(userinfo.ours, round), outFile: path.join(OUT, `wrk-userinfo_with_signin-ours-${round}.json`),
        }),
        runWrk({
          url: oursUrl, seconds: SECONDS, connections: SIGNIN_CONNECTIONS, threads: 1,
          vars: varsFor(signinSpec, round), outFile: signinFile,
        }),
      ]);
      const peak = sampler.stop();
      const cores = cpu.stop();
      for (const [name, r] of [['userinfo_with_signin', u], ['signin', s]]) {
        const row = summarize(name, 'ours', round, r, peak, cores, before);
        results.runs.push(row);
        log(`${name} ours #${round + 1}: ${row.rps.toFixed(0)} req/s, p50 ${row.p50_ms.toFixed(2)} ms, ` +
          `p99 ${row.p99_ms.toFixed(2)} ms, errors ${row.errors}, ours RSS ${(peak.ours.rss / 1024).toFixed(1)} MiB`);
      }
    }
  }

  results.memory_after = Object.fromEntries(Object.entries(trees).map(([k, pid]) => [k, treeMemory(pid)]));
  results.processes_after = { ours: treeDetail(ours.child.pid), peer: treeDetail(peer.pid) };
  results.finished = new Date().toISOString();
  fs.writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(results, null, 2));
  const table = report(results);
  fs.writeFileSync(path.join(OUT, 'table.md'), table);
  console.log('\n' + table);
}

function summarize(name, side, round, r, peak, cores, foreignBefore) {
  const e = r.errors;
  return {
    scenario: name, side, round,
    cpu_cores: cores,
    foreign_cores: cores.other,
    foreign_cores_before: foreignBefore,
    rps: r.requests / (r.duration_us / 1e6),
    p50_ms: r.latency_us.p50 / 1000,
    p99_ms: r.latency_us.p99 / 1000,
    max_ms: r.latency_us.max / 1000,
    requests: r.requests,
    non2xx: e.status,
    socket_errors: e.connect + e.read + e.write + e.timeout,
    pool_exhausted: r.pool_exhausted,
    errors: e.status + e.connect + e.read + e.write + e.timeout + r.pool_exhausted,
    peak_kib: peak,
  };
}

// Mean requests/s and p50 over the rounds, worst p99, summed errors.
function aggregate(runs, scenario, side) {
  const rows = runs.filter((r) => r.scenario === scenario && r.side === side);
  if (rows.length === 0) return null;
  const mean = (f) => rows.reduce((s, r) => s + f(r), 0) / rows.length;
  return {
    rps: mean((r) => r.rps),
    p50: mean((r) => r.p50_ms),
    p99: Math.max(...rows.map((r) => r.p99_ms)),
    errors: rows.reduce((s, r) => s + r.errors, 0),
    foreign: Math.max(...rows.map((r) => r.foreign_cores)),
    rss_mib: Math.max(...rows.map((r) => r.peak_kib.ours.rss)) / 1024,
    pss_mib: Math.max(...rows.map((r) => r.peak_kib.ours.pss)) / 1024,
    pg_pss_mib: Math.max(...rows.map((r) => r.peak_kib.postgres.pss)) / 1024,
    peer_rss_mib: Math.max(...rows.map((r) => r.peak_kib.peer.rss)) / 1024,
    peer_pss_mib: Math.max(...rows.map((r) => r.peak_kib.peer.pss)) / 1024,
  };
}

function report(results) {
  const f0 = (x) => (x === undefined || x === null ? '–' : x.toFixed(0));
  const f1 = (x) => x.toFixed(1);
  const f2 = (x) => x.toFixed(2);
  const scenarios = [...new Set(results.runs.map((r) => r.scenario))];
  const lines = [];
  lines.push(`Run ${results.started}: ${results.settings.SECONDS} s per run, ${results.settings.ROUNDS} rounds ` +
    `(ours, peer alternating), wrk -t${results.settings.THREADS} -c${results.settings.CONNECTIONS}.`);
  lines.push('');
  lines.push('| scenario | ours req/s | ours p50 / p99 ms | peer req/s | peer p50 / p99 ms | errors ours / peer | ours / peer | other load, cores |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of scenarios) {
    const o = aggregate(results.runs, s, 'ours');
    const p = aggregate(results.runs, s, 'peer');
    lines.push(`| ${s} | ${o ? f0(o.rps) : '–'} | ${o ? `${f2(o.p50)} / ${f2(o.p99)}` : '–'} | ` +
      `${p ? f0(p.rps) : '–'} | ${p ? `${f2(p.p50)} / ${f2(p.p99)}` : '–'} | ` +
      `${o ? o.errors : '–'} / ${p ? p.errors : '–'} | ${o && p ? `${f2(o.rps / p.rps)}x` : '–'} | ` +
      `${f2(Math.max(o?.foreign ?? 0, p?.foreign ?? 0))} |`);
  }
  lines.push('');
  lines.push('CPU in cores (2 = the whole machine), mean over each server\'s own runs: the server, PostgreSQL, ' +
    'the rest of the machine\'s busy time (wrk, kernel, short-lived processes) and other long-running processes:');
  lines.push('');
  lines.push('| scenario | ours: server / PostgreSQL / rest / other | peer: server / PostgreSQL / rest / other |');
  lines.push('|---|---:|---:|');
  const cpuCell = (s, side) => {
    const rows = results.runs.filter((r) => r.scenario === s && r.side === side);
    if (rows.length === 0) return '–';
    const mean = (f) => rows.reduce((a, r) => a + f(r.cpu_cores), 0) / rows.length;
    const server = mean((c) => c[side]);
    const pg = mean((c) => c.postgres);
    const other = mean((c) => c.other);
    const rest = mean((c) => c.machine) - server - pg - other - mean((c) => c[side === 'ours' ? 'peer' : 'ours']);
    return `${f2(server)} / ${f2(pg)} / ${f2(Math.max(rest, 0))} / ${f2(other)}`;
  };
  for (const s of scenarios) lines.push(`| ${s} | ${cpuCell(s, 'ours')} | ${cpuCell(s, 'peer')} |`);
  lines.push('');
  lines.push('Memory, peak during each server\'s own runs (MiB; an RSS sum counts shared pages once per process, PSS shares them out):');
  lines.push('');
  lines.push('| scenario | ours RSS / PSS | PostgreSQL PSS | peer RSS / PSS |');
  lines.push('|---|---:|---:|---:|');
  const idle = results.memory_idle;
  lines.push(`| idle | ${f1(idle.ours.rss / 1024)} / ${f1(idle.ours.pss / 1024)} | ${f1(idle.postgres.pss / 1024)} | ` +
    `${f1(idle.peer.rss / 1024)} / ${f1(idle.peer.pss / 1024)} |`);
  for (const s of scenarios) {
    // Each server's peak from its own runs; PostgreSQL's from ours.
    const o = aggregate(results.runs, s, 'ours');
    const p = aggregate(results.runs, s, 'peer');
    lines.push(`| ${s} | ${o ? `${f1(o.rss_mib)} / ${f1(o.pss_mib)}` : '–'} | ${o ? f1(o.pg_pss_mib) : '–'} | ` +
      `${p ? `${f1(p.peer_rss_mib)} / ${f1(p.peer_pss_mib)}` : '–'} |`);
  }
  lines.push('');
  const c = results.crypto;
  const cc = aggregate(results.runs, 'client_credentials', 'ours');
  lines.push(`Start-up to first 200: ours ${f0(results.startup_ms.ours)} ms (/healthz), ` +
    `peer ${f0(results.startup_ms.peer)} ms (discovery); ours' first start, which creates the signing key: ${f0(results.startup_first_ms)} ms.`);
  if (c.one_core.rsa2048) {
    lines.push(`openssl speed: RSA 2048 ${f0(c.one_core.rsa2048.sign)} signs/s and ${f0(c.one_core.rsa2048.verify)} verifies/s on one core` +
      (c.all_cores.rsa2048 ? `, ${f0(c.all_cores.rsa2048.sign)} signs/s on ${c.cores} cores` : '') +
      (c.one_core.ecdsap256 ? `; ECDSA P-256 ${f0(c.one_core.ecdsap256.sign)} signs/s, ${f0(c.one_core.ecdsap256.verify)} verifies/s.` : '.'));
    if (cc) {
      lines.push(`client_credentials reaches ${f0(100 * cc.rps / c.one_core.rsa2048.sign)}% of the one-core RSA 2048 signing rate` +
        (c.all_cores.rsa2048 ? ` and ${f0(100 * cc.rps / c.all_cores.rsa2048.sign)}% of the ${c.cores}-core rate.` : '.'));
    }
  }
  return lines.join('\n') + '\n';
}

const cleanups = [];
async function cleanup() {
  await stopAll();
  for (const fn of cleanups.reverse()) {
    try { fn(); } catch (err) { console.error(`bench: cleanup: ${err.message}`); }
  }
  if (process.env.BENCH_KEEP !== '1') {
    fs.rmSync(path.join(OUT, 'pg'), { recursive: true, force: true });
    fs.rmSync(POOLS, { recursive: true, force: true });
  }
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    console.error(`bench: ${signal}: stopping`);
    await cleanup();
    process.exit(1);
  });
}

try {
  await main();
  await cleanup();
} catch (err) {
  console.error(`bench: ${err.stack ?? err.message}`);
  await cleanup();
  process.exit(1);
}
