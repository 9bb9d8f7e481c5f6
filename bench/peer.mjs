// The benchmark's peer: node-oidc-provider (npm oidc-provider) behind
// Node's own https server, configured like our server for the scenarios of
// bench/run.mjs. It has one confidential client with client_secret_basic,
// an RS256 2048-bit signing key and members read from PostgreSQL. Every
// model (grants, codes, access and refresh tokens) is stored in PostgreSQL
// through the adapter below, because the provider's built-in memory
// adapter keeps only 1,000 entries and never writes to a database.
//
//   node bench/peer.mjs serve CONFIG   start PEER_WORKERS workers (cluster)
//   node bench/peer.mjs mint CONFIG    fill the token pools, then exit
//
// CONFIG is the JSON file that bench/prepare.mjs writes (see peerConfig).
import cluster from 'node:cluster';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';
import pg from 'pg';

const [mode, configFile] = process.argv.slice(2);
if (!['serve', 'mint'].includes(mode) || !configFile) {
  console.error('usage: node bench/peer.mjs serve|mint CONFIG');
  process.exit(2);
}
const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));

// Resource server for client_credentials: its access tokens are RS256 JWTs,
// so that grant signs once per request as ours does.
const API = 'https://api.bench.test';
const SCOPE = 'openid profile email groups roles offline_access';

const pool = new pg.Pool({ ...config.pg, max: config.dbConnections });

const epoch = () => Math.floor(Date.now() / 1000);

// One table for every model, the layout oidc-provider's adapter interface
// suggests: find by id, by uid, by user code, and delete by grant.
const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS oidc_models (
	model		text NOT NULL,
	id		text NOT NULL,
	payload		jsonb NOT NULL,
	grant_id	text,
	uid		text,
	user_code	text,
	expires_at	timestamptz,
	consumed_at	timestamptz,
	PRIMARY KEY (model, id)
);
CREATE INDEX IF NOT EXISTS oidc_models_grant_idx ON oidc_models (grant_id);
CREATE INDEX IF NOT EXISTS oidc_models_uid_idx ON oidc_models (uid);
CREATE TABLE IF NOT EXISTS accounts (
	subject		text PRIMARY KEY,
	email		text NOT NULL,
	email_verified	boolean NOT NULL,
	name		text NOT NULL,
	picture		text,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	groups		jsonb NOT NULL,
	roles		jsonb NOT NULL
);`;

// While minting, saves are collected here and written in batches.
let mintRows = null;

async function flushMintRows() {
  for (let i = 0; i < mintRows.length; i += 5000) {
    const batch = mintRows.slice(i, i + 5000);
    await pool.query(
      `INSERT INTO oidc_models (model, id, payload, grant_id, expires_at)
       SELECT m, id, p, p->>'grantId', now() + make_interval(secs => ttl)
       FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::int[]) AS t(m, id, p, ttl)`,
      [batch.map((r) => r[0]), batch.map((r) => r[1]),
        batch.map((r) => JSON.stringify(r[2])), batch.map((r) => r[3])]);
  }
  mintRows = [];
}

class PgAdapter {
  constructor(model) {
    this.model = model;
  }

  async upsert(id, payload, expiresIn) {
    if (mintRows !== null) {
      mintRows.push([this.model, id, payload, expiresIn]);
      return;
    }
    await pool.query(
      `INSERT INTO oidc_models (model, id, payload, grant_id, uid, user_code, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7::int IS NULL THEN NULL
         ELSE now() + make_interval(secs => $7::int) END)
       ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload,
         grant_id = excluded.grant_id, uid = excluded.uid,
         user_code = excluded.user_code, expires_at = excluded.expires_at`,
      [this.model, id, payload, payload.grantId ?? null, payload.uid ?? null,
        payload.userCode ?? null, typeof expiresIn === 'number' ? expiresIn : null],
    );
  }

  async findBy(column, value) {
    const { rows } = await pool.query(
      `SELECT payload, extract(epoch FROM consumed_at)::bigint AS consumed
       FROM oidc_models WHERE model = $1 AND ${column} = $2
       AND (expires_at IS NULL OR expires_at > now())`,
      [this.model, value],
    );
    if (rows.length === 0) return undefined;
    const { payload, consumed } = rows[0];
    return consumed === null ? payload : { ...payload, consumed: Number(consumed) };
  }

  find(id) { return this.findBy('id', id); }

  findByUid(uid) { return this.findBy('uid', uid); }

  findByUserCode(userCode) { return this.findBy('user_code', userCode); }

  async consume(id) {
    await pool.query('UPDATE oidc_models SET consumed_at = now() WHERE model = $1 AND id = $2',
      [this.model, id]);
  }

  async destroy(id) {
    await pool.query('DELETE FROM oidc_models WHERE model = $1 AND id = $2', [this.model, id]);
  }

  async revokeByGrantId(grantId) {
    await pool.query('DELETE FROM oidc_models WHERE grant_id = $1', [grantId]);
  }
}

async function findAccount(_ctx, sub) {
  const { rows } = await pool.query(
    `SELECT subject, email, email_verified, name, picture,
       extract(epoch FROM updated_at)::bigint AS updated_at, groups, roles
     FROM accounts WHERE subject = $1`, [sub]);
  if (rows.length === 0) return undefined;
  const a = rows[0];
  return {
    accountId: sub,
    async claims() {
      return {
        sub,
        name: a.name,
        ...(a.picture ? { picture: a.picture } : {}),
        updated_at: Number(a.updated_at),
        email: a.email,
        email_verified: a.email_verified,
        groups: a.groups,
        roles: a.roles,
      };
    },
  };
}

function newProvider() {
  const jwk = JSON.parse(fs.readFileSync(config.jwkFile, 'utf8'));
  const provider = new Provider(config.issuer, {
    adapter: PgAdapter,
    findAccount,
    clients: [{
      client_id: config.client.id,
      client_secret: config.client.secret,
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      redirect_uris: [config.client.redirectUri],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: `${SCOPE} api:read`,
    }],
    jwks: { keys: [jwk] },
    cookies: { keys: [config.cookieKey] },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'groups', 'roles', 'api:read'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'picture', 'updated_at'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
      roles: ['roles'],
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Only client_credentials goes to the API; codes and refresh
        // tokens keep their opaque userinfo access tokens.
        defaultResource: (ctx, _client, oneOf) => (
          ctx.oidc.params?.grant_type === 'client_credentials' ? API : oneOf),
        getResourceServerInfo: () => ({
          scope: 'api:read',
          audience: API,
          accessTokenTTL: 600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
        useGrantedResource: () => false,
      },
    },
    pkce: { required: () => true },
    rotateRefreshToken: true,
    // Access tokens and codes are prepared before the load and must last
    // the whole run; bench/run.mjs gives ours the same access token TTL.
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 3600,
      ClientCredentials: 600,
      IdToken: 600,
      RefreshToken: 30 * 24 * 3600,
      Grant: 30 * 24 * 3600,
      Interaction: 3600,
      Session: 3600,
    },
  });
  return provider;
}

async function mintMany(count, makeOne) {
  const out = new Array(count);
  for (let i = 0; i < count; i++) out[i] = await makeOne(i);
  return out;
}

// The same members as ours, with groups and roles inline.
async function createAccounts() {
  await pool.query(SCHEMA_SQL);
  const a = config.accounts;
  await pool.query(
    `INSERT INTO accounts (subject, email, email_verified, name, groups, roles)
     SELECT s, e, true, n, $4, $5 FROM unnest($1::text[], $2::text[], $3::text[]) AS t(s, e, n)`,
    [a.map((x) => x.subject), a.map((x) => x.email), a.map((x) => x.name),
      JSON.stringify(config.groups), JSON.stringify(config.roles)]);
}

async function mint() {
  await createAccounts();
  mintRows = [];
  const provider = newProvider();
  const client = await provider.Client.find(config.client.id);
  const subjects = config.accounts.map((a) => a.subject);
  const authTime = epoch();

  // Each token gets a grant of its own, as each would after its own
  // sign-in; that also keeps concurrent rotations off one grant.
  async function newGrant(i) {
    const grant = new provider.Grant({ accountId: subjects[i % subjects.length], clientId: client.clientId });
    grant.addOIDCScope(SCOPE);
    return { grantId: await grant.save(), accountId: grant.accountId };
  }

  const common = (g) => ({
    client, accountId: g.accountId, grantId: g.grantId, scope: SCOPE,
    authTime, expiresWithSession: false, gty: 'authorization_code',
  });

  const counts = config.pools.peer;
  const access = await mintMany(counts.access, async (i) => {
    const g = await newGrant(i);
    return new provider.AccessToken({ ...common(g), scope: 'openid profile email groups roles' }).save();
  });
  const refresh = await mintMany(counts.refresh, async (i) => {
    const g = await newGrant(i);
    return new provider.RefreshToken({ ...common(g), iiat: epoch(), rotations: 0 }).save();
  });
  const verifier = config.codeVerifier;
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const codes = await mintMany(counts.codes, async (i) => {
    const g = await newGrant(i);
    return new provider.AuthorizationCode({
      ...common(g), redirectUri: config.client.redirectUri,
      codeChallenge: challenge, codeChallengeMethod: 'S256',
    }).save();
  });

  await flushMintRows();

  const dir = config.poolDir;
  fs.writeFileSync(path.join(dir, 'peer-access.txt'), access.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'peer-refresh.txt'), refresh.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'peer-codes.txt'), codes.join('\n') + '\n');
  await pool.end();
}

function serve() {
  if (cluster.isPrimary && config.peerWorkers > 1) {
    for (let i = 0; i < config.peerWorkers; i++) cluster.fork();
    // A worker that dies ends the run: the numbers would be wrong.
    cluster.on('exit', (worker, code, signal) => {
      console.error(`peer: worker ${worker.process.pid} exited (${code ?? signal})`);
      process.exit(1);
    });
    const stop = () => {
      for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
      process.exit(0);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    return;
  }

  const provider = newProvider();
  provider.on('server_error', (_ctx, err) => console.error('peer: server_error', err));
  const server = https.createServer({
    key: fs.readFileSync(config.tls.key),
    cert: fs.readFileSync(config.tls.cert),
  }, provider.callback());
  server.keepAliveTimeout = 60000;
  server.listen(config.port, '127.0.0.1');
  process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
}

if (mode === 'mint') {
  await mint();
} else {
  serve();
}
