// Faults: PostgreSQL stopped and restarted, a worker killed under load,
// and two server instances sharing one database.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { startServer, createDatabase, freePort, ROOT, TMP } from '../helpers/server.js';
import { Agent, addMember } from '../helpers/http.js';
import { addApp, authorize, redeemCode, refresh, userinfo, sha256Hex } from '../helpers/oauth.js';

const PGSH = path.join(ROOT, 'scripts/pg.sh');

function workerPids(server) {
  const out = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(server.child.pid)], { encoding: 'utf8' }).stdout;
  return out.trim().split('\n').filter((l) => /\[wrk \d\]/.test(l)).map((l) => Number(l.trim().split(/\s+/)[0]));
}

// One member with a signed-in agent and a confidential app with consent.
async function setUp(server) {
  const member = addMember(server, { email: 'ops@example.org', name: 'Ops', groups: ['Staff'] });
  const app = addApp(server);
  const agent = new Agent(server.url);
  await agent.signIn(member.email, member.password);
  return { member, app, agent };
}

async function newCode(agent, app) {
  const r = await authorize(agent, { response_type: 'code', client_id: app.client_id,
    redirect_uri: app.redirectUris[0], scope: 'openid profile', state: 's' });
  return r.code;
}

describe('PostgreSQL stopped', () => {
  test('pages and APIs answer 503 and recover', async () => {
    const pgDir = path.join(TMP, 'pg-faults-' + process.pid);
    const pgPort = await freePort();
    execFileSync(PGSH, ['start', pgDir, String(pgPort), '--fast']);
    let server;
    try {
      server = await startServer({ pgDir });
      const { agent, app } = await setUp(server);
      const code = await newCode(agent, app);

      execFileSync(PGSH, ['stop', pgDir]);
      const page = await agent.get('/settings');
      assert.equal(page.status, 503);
      assert.match(page.headers.get('content-type'), /^text\/html/);
      assert.match(page.text_, /cannot reach its database/);
      assert.equal(page.headers.get('retry-after'), '5');

      const token = await redeemCode(server, app, code, { redirectUri: app.redirectUris[0] });
      assert.equal(token.status, 503);
      assert.equal(token.json.error, 'temporarily_unavailable');
      assert.equal(token.headers.get('cache-control'), 'no-store');

      execFileSync(PGSH, ['start', pgDir, String(pgPort), '--fast']);
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        status = (await agent.get('/settings')).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(status, 200, 'pages work again without a restart');
      const again = await redeemCode(server, app, code, { redirectUri: app.redirectUris[0] });
      assert.equal(again.status, 200, 'the code was not consumed by the failed attempt');
      assert.equal(server.child.exitCode, null);
    } finally {
      await server?.stop();
      execFileSync(PGSH, ['stop', pgDir]);
    }
  });
});

describe('worker killed', () => {
  test('Kore restarts it and nothing is half redeemed', async () => {
    const server = await startServer();
    try {
      const { agent, app } = await setUp(server);
      const codes = [];
      for (let i = 0; i < 20; i++) codes.push(await newCode(agent, app));

      const before = workerPids(server);
      assert.equal(before.length, 2);
      const redemptions = codes.map((code) => redeemCode(server, app, code, { redirectUri: app.redirectUris[0] })
        .then((r) => r.status, () => 'connection error'));
      process.kill(before[0], 'SIGKILL');
      const results = await Promise.all(redemptions);

      let after = [];
      for (let i = 0; i < 50; i++) {
        after = workerPids(server);
        if (after.length === 2 && !after.includes(before[0])) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(after.length, 2, 'two workers again');
      assert.ok(!after.includes(before[0]), 'the killed worker was replaced');
      assert.ok(results.filter((s) => s === 200).length >= 1, `results ${results}`);

      // Each code is either fully redeemed (grant and refresh token) or
      // untouched: redemption is one transaction.
      for (const code of codes) {
        const row = (await server.query(`SELECT c.used_at IS NOT NULL AS used, c.grant_id,
          (SELECT count(*)::int FROM refresh_tokens r WHERE r.grant_id = c.grant_id) AS refresh
          FROM authorization_codes c WHERE code_hash = $1`, [sha256Hex(code)])).rows[0];
        if (row.used) {
          assert.notEqual(row.grant_id, null);
          assert.equal(row.refresh, 1);
        } else {
          assert.equal(row.grant_id, null);
        }
      }

      const later = await newCode(agent, app);
      const res = await redeemCode(server, app, later, { redirectUri: app.redirectUris[0] });
      assert.equal(res.status, 200, 'the server keeps serving');
    } finally {
      await server.stop();
    }
  });
});

describe('two instances on one database', () => {
  test('tokens verify at both and a refresh wins once', async () => {
    // Behind a load balancer both instances have one public issuer.
    const db = createDatabase();
    const first = await startServer({ database: db });
    const second = await startServer({ database: db, env: { ORGO_ISSUER: first.url } });
    try {
      const { agent, app } = await setUp(first);
      const code = await newCode(agent, app);
      const tokens = await redeemCode(first, app, code, { redirectUri: app.redirectUris[0] });
      assert.equal(tokens.status, 200);

      const here = await userinfo(first, tokens.json.access_token);
      assert.equal(here.status, 200);
      const there = await userinfo(second, tokens.json.access_token);
      assert.equal(there.status, 200, 'a token from one instance works at the other');
      assert.deepEqual(there.json, here.json);
      const keysFirst = await (await fetch(`${first.url}/oauth/jwks`)).json();
      const keysSecond = await (await fetch(`${second.url}/oauth/jwks`)).json();
      assert.deepEqual(keysSecond, keysFirst, 'both instances publish the same keys');

      const results = await Promise.all([
        refresh(first, app, tokens.json.refresh_token),
        refresh(second, app, tokens.json.refresh_token),
      ]);
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, 400]);
      const loser = results.find((r) => r.status === 400);
      assert.equal(loser.json.error, 'invalid_grant');
    } finally {
      await first.stop();
      await second.stop();
    }
  });
});
