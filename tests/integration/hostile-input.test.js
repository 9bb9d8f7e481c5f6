// Hostile input on every endpoint: each gets a clear, spec-conformant
// error and changes nothing in the database.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { startServer } from '../helpers/server.js';
import { Agent, addMember } from '../helpers/http.js';
import { addApp, authorizePath, tokenRequest } from '../helpers/oauth.js';

let server;
let app;
let member;

before(async () => {
  server = await startServer();
  member = addMember(server, { email: 'eve@example.org', name: 'Eve' });
  app = addApp(server);
});
after(async () => server?.stop());

async function counts() {
  const tables = ['sessions', 'authorization_codes', 'authorization_requests', 'grants',
    'refresh_tokens', 'clients', 'members', 'consents', 'revoked_access_tokens'];
  const out = {};
  for (const t of tables) out[t] = (await server.query(`SELECT count(*)::int AS n FROM ${t}`)).rows[0].n;
  return out;
}

// Sends raw bytes over TLS, for requests fetch() refuses to build.
function rawRequest(text) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: server.port, servername: 'localhost' }, () => {
      socket.write(text);
    });
    let data = '';
    socket.on('data', (d) => { data += d; });
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
    socket.setTimeout(10000, () => { socket.destroy(); resolve(data); });
  });
}

describe('token endpoint', () => {
  const cases = [
    ['grant_type twice', 'grant_type=client_credentials&grant_type=client_credentials', 400, 'invalid_request', /grant_type is given more than once/],
    ['invalid UTF-8', 'grant_type=client_credentials&scope=%C3%28', 400, 'invalid_request', /UTF-8/],
    ['NUL byte', 'grant_type=client_credentials&scope=pro%00file', 400, 'invalid_request', /NUL|scope/],
    ['over-long code', `grant_type=authorization_code&code=${'a'.repeat(9000)}`, 400, 'invalid_request', /code|8192/],
    ['bad percent-encoding', 'grant_type=client_credentials&scope=%zz', 400, 'invalid_request', /percent/],
    ['huge scope list', `grant_type=client_credentials&scope=${Array(2000).fill('profile').join('+')}`, 400, /invalid_request|invalid_scope/, /scope|1024/],
  ];
  for (const [name, body, status, error, description] of cases) {
    test(name, async () => {
      const before = await counts();
      const res = await tokenRequest(server, null, { basic: [app.client_id, app.client_secret], body });
      assert.equal(res.status, status);
      assert.match(res.json.error, error instanceof RegExp ? error : new RegExp(`^${error}$`));
      assert.match(res.json.error_description, description);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.deepEqual(await counts(), before);
    });
  }

  test('newline in client_id is invalid_client', async () => {
    const res = await tokenRequest(server, null, {
      body: 'grant_type=client_credentials&client_id=abc%0Atoken%3A+forged&client_secret=x',
    });
    assert.equal(res.status, 401);
    assert.equal(res.json.error, 'invalid_client');
    assert.match(res.json.error_description, /printable ASCII/);
    assert.doesNotMatch(server.output, /forged/);
  });

  test('JSON body is rejected', async () => {
    const res = await tokenRequest(server, null, {
      basic: [app.client_id, app.client_secret], contentType: 'application/json',
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    assert.equal(res.status, 400);
    assert.equal(res.json.error, 'invalid_request');
    assert.match(res.json.error_description, /application\/x-www-form-urlencoded/);
  });

  test('body over form limit is 400', async () => {
    const before = await counts();
    const res = await tokenRequest(server, null, {
      basic: [app.client_id, app.client_secret], body: 'grant_type=client_credentials&pad=' + 'x'.repeat(70000),
    });
    assert.equal(res.status, 400);
    assert.equal(res.json.error, 'invalid_request');
    assert.equal(res.json.error_description, 'the request body is larger than 65536 bytes');
    assert.deepEqual(await counts(), before);
  });

  test('body over http_body_max is 413', async () => {
    const response = await rawRequest('POST /oauth/token HTTP/1.1\r\nHost: localhost\r\n' +
      'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200000\r\n\r\n');
    const [head, body] = response.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 413 /);
    assert.equal(body, 'The request body is larger than 131072 bytes.\n');
  });

  test('missing Content-Length is 411', async () => {
    const response = await rawRequest('POST /oauth/token HTTP/1.1\r\nHost: localhost\r\n' +
      'Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n');
    assert.match(response, /^HTTP\/1\.1 411 /);
    assert.match(response, /\r\n\r\nThe request body needs a Content-Length header\.\n$/);
  });

  test('non-numeric Content-Length is 400', async () => {
    const response = await rawRequest('POST /oauth/token HTTP/1.1\r\nHost: localhost\r\n' +
      'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 12abc\r\n\r\n');
    assert.match(response, /^HTTP\/1\.1 400 /);
    assert.match(response, /\r\n\r\nThe Content-Length header is not a number\.\n$/);
  });
});

describe('authorization endpoint', () => {
  test('CRLF in state is encoded, never a header', async () => {
    const agent = new Agent(server.url);
    await agent.signIn(member.email, member.password);
    const res = await agent.get(authorizePath({
      response_type: 'token', client_id: app.client_id, redirect_uri: app.redirectUris[0],
      state: 'a\r\nSet-Cookie: injected=1',
    }));
    assert.equal(res.status, 302);
    const location = res.headers.get('location');
    assert.match(location, /state=a%0D%0ASet-Cookie%3A%20injected%3D1/);
    assert.equal(res.headers.getSetCookie().some((c) => c.startsWith('injected')), false);
  });

  test('CRLF in redirect_uri shows the error page', async () => {
    const res = await new Agent(server.url).get(authorizePath({
      response_type: 'code', client_id: app.client_id,
      redirect_uri: app.redirectUris[0] + '\r\nSet-Cookie: injected=1',
    }));
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null);
    assert.match(res.headers.get('content-type'), /^text\/html/);
  });

  test('over-long state is invalid_request', async () => {
    const agent = new Agent(server.url);
    const params = { response_type: 'code', client_id: app.client_id, redirect_uri: app.redirectUris[0] };
    const longest = await agent.get(authorizePath({ ...params, state: 's'.repeat(2048) }));
    assert.equal(longest.status, 303);
    assert.match(longest.headers.get('location'), /^\/login\?/);

    const res = await agent.get(authorizePath({ ...params, state: 's'.repeat(2049) }));
    assert.equal(res.status, 302);
    const url = new URL(res.headers.get('location'));
    assert.equal(url.searchParams.get('error'), 'invalid_request');
    assert.match(url.searchParams.get('error_description'), /state is longer than 2048 bytes/);
  });

  test('NUL in client_id shows the error page', async () => {
    const res = await new Agent(server.url).get('/oauth/authorize?response_type=code&client_id=a%00b');
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null);
  });
});

describe('userinfo', () => {
  test('garbage bearer token is invalid_token', async () => {
    for (const token of ['x', 'a.b.c', '\u00e9\u00e9', 'eyJ.eyJ.' + 'A'.repeat(7000)]) {
      const res = await fetch(`${server.url}/oauth/userinfo`, {
        headers: { authorization: 'Bearer ' + encodeURIComponent(token) },
      });
      assert.equal(res.status, 401, token.slice(0, 20));
      assert.match(res.headers.get('www-authenticate'), /error="invalid_token"/);
    }
  });
});

describe('paths and methods', () => {
  test('extra slashes are not routed', async () => {
    const res = await fetch(`${server.url}//oauth/token`, { method: 'POST' });
    assert.equal(res.status, 404);
  });

  test('wrong method on token is 405', async () => {
    const res = await fetch(`${server.url}/oauth/token`, { method: 'GET' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'POST, OPTIONS');
  });

  test('oversized header fields are 431', async () => {
    const response = await rawRequest(`GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20000)}\r\nConnection: close\r\n\r\n`);
    const [head, body] = response.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    assert.match(head, /\r\ncontent-type: text\/plain; charset=utf-8\r\n/);
    assert.equal(body, 'The request header fields are larger than 16384 bytes.\n');
  });

  test('header end split after limit', async () => {
    // The blank line straddles two writes, after the buffer has filled.
    const response = await new Promise((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: server.port, servername: 'localhost' }, async () => {
        socket.write(`GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'b'.repeat(17000)}\r\n\r`);
        await new Promise((r) => setTimeout(r, 200));
        socket.write('\n');
      });
      let data = '';
      socket.on('data', (d) => { data += d; });
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
      socket.setTimeout(10000, () => { socket.destroy(); resolve(data); });
    });
    assert.match(response, /^HTTP\/1\.1 431 /);
  });

  test('long request target is 414', async () => {
    const response = await rawRequest(`GET /healthz?x=${'a'.repeat(8200)} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    const [head, body] = response.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 414 /);
    assert.equal(body, 'The request target is longer than 8190 bytes.\n');
  });

  test('64 header fields are 431', async () => {
    const fields = Array.from({ length: 64 }, (_, i) => `X-Field-${i}: ${i}\r\n`).join('');
    const response = await rawRequest(`GET /healthz HTTP/1.1\r\nHost: localhost\r\n${fields}Connection: close\r\n\r\n`);
    const [head, body] = response.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 431 /);
    assert.equal(body, 'The request has more than 63 header fields.\n');
  });

  test('63rd header field is read', async () => {
    // Host, 60 filler fields, Connection, then Authorization last.
    const fields = Array.from({ length: 60 }, (_, i) => `X-Field-${i}: ${i}\r\n`).join('');
    const response = await rawRequest(`GET /oauth/userinfo HTTP/1.1\r\nHost: localhost\r\n${fields}Connection: close\r\nAuthorization: Bearer not-a-token\r\n\r\n`);
    assert.match(response, /^HTTP\/1\.1 401 /);
    assert.match(response, /\r\nwww-authenticate: Bearer [^\r]*error="invalid_token"/i);
  });
});

describe('slow clients', () => {
  let slow;
  before(async () => {
    slow = await startServer({ extraConfig: 'http_header_timeout 2\nhttp_body_timeout 3' });
  });
  after(async () => slow?.stop());

  // Sends 'text' and stops, then collects what the server sends until it
  // closes the connection.
  function sendAndWait(text) {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const socket = tls.connect({ host: '127.0.0.1', port: slow.port, servername: 'localhost' }, () => {
        socket.write(text);
      });
      let data = '';
      const done = () => resolve({ data, ms: Date.now() - started });
      socket.on('data', (d) => { data += d; });
      socket.on('close', done);
      socket.on('error', reject);
      socket.setTimeout(15000, () => socket.destroy());
    });
  }

  test('unfinished header fields get 408', async () => {
    const { data, ms } = await sendAndWait('GET /healthz HTTP/1.1\r\nHost: localhost\r\n');
    assert.match(data, /^HTTP\/1\.1 408 /);
    assert.match(data, /\r\n\r\nThe request did not arrive within 2 seconds\.\n$/);
    assert.ok(ms >= 1900, `answered after ${ms} ms`);
  });

  test('idle keep-alive outlasts the header timeout', async () => {
    const responses = await new Promise((resolve, reject) => {
      const request = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n';
      const socket = tls.connect({ host: '127.0.0.1', port: slow.port, servername: 'localhost' }, () => {
        socket.write(request);
        setTimeout(() => socket.write(request.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n')), 3000);
      });
      let data = '';
      socket.on('data', (d) => { data += d; });
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
      socket.setTimeout(15000, () => socket.destroy());
    });
    assert.equal(responses.match(/HTTP\/1\.1 \d+/g).join(','), 'HTTP/1.1 200,HTTP/1.1 200');
  });

  test('unfinished body gets 408', async () => {
    const before = await slow.query('SELECT count(*)::int AS n FROM audit_log');
    const { data, ms } = await sendAndWait('POST /oauth/token HTTP/1.1\r\nHost: localhost\r\n' +
      'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=');
    assert.match(data, /^HTTP\/1\.1 408 /);
    assert.match(data, /\r\n\r\nThe request did not arrive within 3 seconds\.\n$/);
    assert.ok(ms >= 2900, `answered after ${ms} ms`);
    assert.deepEqual(await slow.query('SELECT count(*)::int AS n FROM audit_log'), before);
  });
});

describe('sign-in form', () => {
  test('JSON where a form is expected', async () => {
    const agent = new Agent(server.url);
    const res = await agent.request('POST', '/login', {
      headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: member.email }),
    });
    assert.equal(res.status, 400);
    assert.match(res.text_, /application\/x-www-form-urlencoded/);
  });
});
