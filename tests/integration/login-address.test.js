// Sign-in throttling per address, and re-hashing of old password hashes.
// Its own server: the address lock would disturb other sign-in tests.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, TMP } from '../helpers/server.js';
import { Agent, addMember } from '../helpers/http.js';

let server;

before(async () => { server = await startServer(); });
after(async () => server?.stop());

test('old hash is replaced at sign-in', async () => {
  const ann = addMember(server, { email: 'ann@example.org', name: 'Ann', password: 'weakly hashed pw' });
  // The same password hashed with 4 MiB and 1 iteration, below today's
  // parameters, by libargon2 itself.
  const dir = fs.mkdtempSync(path.join(TMP, 'argon2-'));
  fs.writeFileSync(path.join(dir, 'weak.c'), `#include <argon2.h>
#include <stdio.h>
int main(void) { char out[160]; const char salt[] = "somesaltsomesalt";
  if (argon2id_hash_encoded(1, 4096, 1, "weakly hashed pw", 16, salt, 16, 32, out, sizeof(out)) != ARGON2_OK) return 1;
  puts(out); return 0; }`);
  execFileSync('cc', ['-o', path.join(dir, 'weak'), path.join(dir, 'weak.c'), '-largon2']);
  const weak = execFileSync(path.join(dir, 'weak'), { encoding: 'utf8' }).trim();
  assert.match(weak, /^\$argon2id\$v=19\$m=4096,t=1,p=1\$/);
  await server.query('UPDATE members SET password_hash = $2 WHERE id = $1', [ann.id, weak]);

  const res = await new Agent(server.url).signIn(ann.email, ann.password);
  assert.equal(res.status, 303);
  const stored = (await server.query('SELECT password_hash FROM members WHERE id = $1', [ann.id])).rows[0].password_hash;
  assert.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.notEqual(stored, weak);
  const again = await new Agent(server.url).signIn(ann.email, ann.password);
  assert.equal(again.status, 303, 'the new hash verifies');
});

test('twenty failures lock the address', async () => {
  const zoe = addMember(server, { email: 'zoe@example.org', name: 'Zoe' });
  const agent = new Agent(server.url);
  const statuses = [];
  for (let i = 0; i < 20; i++) {
    statuses.push((await agent.signIn(`nobody${i}@example.org`, 'wrong password')).status);
  }
  assert.deepEqual(statuses.slice(0, 19), Array(19).fill(401));
  assert.equal(statuses[19], 429);

  // Another account from the same address is locked out too.
  const res = await agent.signIn(zoe.email, zoe.password);
  assert.equal(res.status, 429);
  assert.match(res.text_, /Too many failed sign-in attempts\. Try again after/);
  const row = (await server.query("SELECT failures, locked_until > now() AS locked FROM sign_in_failures WHERE key = 'addr:127.0.0.1'")).rows[0];
  assert.equal(row.failures, 20);
  assert.equal(row.locked, true);
});
