// Helpers of bench/run.mjs: child processes that are always cleaned up,
// resident memory from /proc, HTTPS requests to the test CA, wrk runs.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function log(...args) {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...args);
}

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

export function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...opts });
}

// Long-running children, stopped by stopAll() on every exit path.
const children = new Map();

/*
 * Start 'cmd' with stdout and stderr appended to 'logFile'. Returns the
 * ChildProcess with an 'exited' promise.
 */
export function startChild(name, cmd, args, { logFile, env, cwd = ROOT } = {}) {
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  children.set(child.pid, { name, child });
  child.exited.then(() => children.delete(child.pid));
  return child;
}

// SIGTERM, then SIGKILL after 'graceMs'.
export async function stopChild(child, graceMs = 10000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

export async function stopAll() {
  await Promise.all([...children.values()].map(({ child }) => stopChild(child)));
}

// ---- Memory from /proc ------------------------------------------------

function readPpid(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

// 'pid' and all its descendants.
export function processTree(pid) {
  const parents = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (/^\d+$/.test(entry)) parents.set(Number(entry), readPpid(entry));
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parents) {
      if (parent === tree[i]) tree.push(child);
    }
  }
  return tree;
}

function kib(text, field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/*
 * Resident memory of a process tree in KiB: the sum of VmRSS (counts
 * shared pages once per process) and of Pss (shares them out).
 */
export function treeMemory(pid) {
  let rss = 0; let pss = 0; let count = 0;
  for (const p of processTree(pid)) {
    try {
      rss += kib(fs.readFileSync(`/proc/${p}/status`, 'utf8'), 'VmRSS');
      pss += kib(fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'), 'Pss');
      count++;
    } catch { /* the process ended */ }
  }
  return { rss, pss, processes: count };
}

// Per-process VmRSS of a tree, with each process's command name.
export function treeDetail(pid) {
  return processTree(pid).map((p) => {
    try {
      const status = fs.readFileSync(`/proc/${p}/status`, 'utf8');
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      return { pid: p, cmd: cmd.slice(0, 60), rss_kib: kib(status, 'VmRSS') };
    } catch {
      return null;
    }
  }).filter(Boolean);
}

// utime + stime of every process, in clock ticks, by pid.
function cpuTicks() {
  const ticks = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    } catch { /* the process ended */ }
  }
  return ticks;
}

// Busy and total clock ticks of the whole machine, from /proc/stat.
function machineTicks() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4];
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/*
 * CPU time between start and stop(), in cores (1.0: one core busy all
 * along): for each named group of pids ('groups' returns them when called),
 * for every other process ('other': other users of the machine; a process
 * that started and ended in between is not seen), and for the whole
 * machine ('machine', from /proc/stat, which also counts wrk, the kernel's
 * network work and processes that came and went).
 */
export function cpuAccount(groups) {
  const before = cpuTicks();
  const m0 = machineTicks();
  const t0 = performance.now();
  return {
    stop() {
      const after = cpuTicks();
      const m1 = machineTicks();
      const seconds = (performance.now() - t0) / 1000;
      const named = groups();
      const owner = new Map();
      for (const [name, pids] of Object.entries(named)) {
        for (const pid of pids) owner.set(pid, name);
      }
      const out = Object.fromEntries([...Object.keys(named), 'other'].map((k) => [k, 0]));
      for (const [pid, t] of after) {
        out[owner.get(pid) ?? 'other'] += t - (before.get(pid) ?? 0);
      }
      for (const k of Object.keys(out)) out[k] = out[k] / 100 / seconds;
      // /proc/stat counts in USER_HZ per CPU, the same 100 ticks a second.
      out.machine = (m1.busy - m0.busy) / 100 / seconds;
      return out;
    },
  };
}

// Sample the peak of several trees every 'everyMs' until stop() is called.
export function memorySampler(trees, everyMs = 250) {
  const peak = Object.fromEntries(Object.keys(trees).map((k) => [k, { rss: 0, pss: 0 }]));
  const sample = () => {
    for (const [name, pid] of Object.entries(trees)) {
      if (!pid) continue;
      const m = treeMemory(pid);
      peak[name].rss = Math.max(peak[name].rss, m.rss);
      peak[name].pss = Math.max(peak[name].pss, m.pss);
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return { stop() { clearInterval(timer); sample(); return peak; } };
}

// ---- HTTPS -------------------------------------------------------------

export function httpsClient(caFile) {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 32, ca: fs.readFileSync(caFile) });
  return function request(url, { method = 'GET', headers = {}, body } = {}) {
    return new Promise((resolve, reject) => {
      // Kore answers 411 to a chunked body: send its length.
      if (body !== undefined) headers = { ...headers, 'content-length': Buffer.byteLength(body) };
      const req = https.request(url, { method, headers, agent, timeout: 60000 }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json = null;
          try { json = JSON.parse(text); } catch { /* not JSON */ }
          resolve({ status: res.statusCode, headers: res.headers, text, json });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${url}: timed out after 60 s`)));
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  };
}

// Poll 'url' until it answers 200; returns the milliseconds since 't0'.
export async function waitFor200(request, url, child, t0, timeoutMs = 30000) {
  while (performance.now() - t0 < timeoutMs) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${url}: the server exited (${child.exitCode ?? child.signalCode}) before answering`);
    }
    try {
      const res = await request(url);
      if (res.status === 200) return performance.now() - t0;
    } catch { /* not listening yet */ }
    await sleep(5);
  }
  throw new Error(`${url}: no 200 within ${timeoutMs / 1000} s`);
}

// ---- wrk ---------------------------------------------------------------

/*
 * Run wrk for 'seconds' against 'url' with bench/wrk/scenario.lua and the
 * BENCH_* variables in 'vars'. Resolves with wrk's JSON summary plus its
 * text output.
 */
export function runWrk({ url, seconds, connections, threads, vars, outFile }) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...vars, BENCH_OUT: outFile, BENCH_THREADS: String(threads) };
    const args = ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`,
      '--timeout', '5s', '-s', path.join(ROOT, 'bench/wrk/scenario.lua'), url];
    const child = spawn('wrk', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.set(child.pid, { name: 'wrk', child });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    // wrk stops by itself after 'seconds'; this is only a safety net.
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      children.delete(child.pid);
      fs.writeFileSync(outFile.replace(/\.json$/, '.txt'), output);
      if (code !== 0) {
        reject(new Error(`wrk exited with ${code}:\n${output}`));
        return;
      }
      try {
        resolve({ ...JSON.parse(fs.readFileSync(outFile, 'utf8')), output });
      } catch (err) {
        reject(new Error(`wrk wrote no summary (${err.message}):\n${output}`));
      }
    });
  });
}

// ---- openssl speed -----------------------------------------------------

/*
 * Parse the RSA and ECDSA tables of `openssl speed`: per key size, signs/s
 * and verifies/s (the last two columns).
 */
export function parseSpeed(text) {
  const out = {};
  const rsa = /^rsa\s+2048 bits\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)\s*$/m.exec(text);
  if (rsa) out.rsa2048 = { sign: Number(rsa[1]), verify: Number(rsa[2]) };
  const ec = /^\s*256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)\s*$/m.exec(text);
  if (ec) out.ecdsap256 = { sign: Number(ec[1]), verify: Number(ec[2]) };
  return out;
}
