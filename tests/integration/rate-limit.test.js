// Token endpoint rate limit per client_id, shared by both workers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { orgoctl } from '../helpers/http.js';

let server;
let app;

before(async () => {
  server = await startServer({ env: { ORGO_TOKEN_RATE_LIMIT: '3' } });
  app = JSON.parse(orgoctl(server, ['app', 'add', '--name', 'Svc',
    '--redirect-uri', 'https://svc.example.org/cb', '--scope', 'profile', '--json']));
});
after(async () => server?.stop());

function clientCredentials(clientId, secret) {
  return fetch(`${server.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }),
  });
}

test('over the limit answers 429 with Retry-After', async () => {
  // Each request opens its own connection, so both workers serve them;
  // the count is still per client across workers. Retry until a burst
  // lands inside one second.
  let statuses = [];
  let limited;
  for (let attempt = 0; attempt < 5; attempt++) {
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));
    const responses = await Promise.all(Array.from({ length: 6 }, () => clientCredentials(app.client_id, app.client_secret)));
    statuses = responses.map((r) => r.status);
    limited = responses.find((r) => r.status === 429);
    if (statuses.filter((s) => s === 200).length === 3) break;
  }
  assert.equal(statuses.filter((s) => s === 200).length, 3, `statuses ${statuses}`);
  assert.equal(statuses.filter((s) => s === 429).length, 3);
  assert.equal(limited.headers.get('retry-after'), '1');
  const body = await limited.json();
  assert.equal(body.error, 'temporarily_unavailable');
});

test('wrong secrets count against the limit too', async () => {
  await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));
  const statuses = [];
  for (let i = 0; i < 5; i++) statuses.push((await clientCredentials(app.client_id, 'wrong')).status);
  assert.deepEqual(statuses.slice(0, 3), [401, 401, 401]);
  assert.ok(statuses.slice(3).every((s) => s === 429), `statuses ${statuses}`);
});
