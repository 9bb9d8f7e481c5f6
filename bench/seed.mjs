// Test data for bench/run.mjs: members, grants, refresh tokens and
// authorization codes written straight into PostgreSQL, each in the form
// our server stores them (SHA-256 hex of the token, see
// migrations/0004_oauth.sql), with the plain tokens in pool files for wrk.
import crypto from 'node:crypto';
import fs from 'node:fs';
import pg from 'pg';

// Scopes of every seeded grant, in the canonical order of src/scopes.c.
export const GRANT_SCOPES = 'openid profile email groups roles offline_access';
export const GROUPS = ['Bench', 'Staff'];
export const ROLES = ['MEMBER'];
const BATCH = 5000;

// A 256-bit random token in the format of util_token_new(): 43 base64url
// characters.
export const newToken = () => crypto.randomBytes(32).toString('base64url');
export const sha256Hex = (s) => crypto.createHash('sha256').update(s).digest('hex');
export const sha256B64url = (s) => crypto.createHash('sha256').update(s).digest('base64url');

export function pgConfig(conninfo) {
  const cfg = {};
  for (const part of conninfo.trim().split(/\s+/)) {
    const [k, v] = part.split('=');
    if (k === 'host') cfg.host = v;
    else if (k === 'port') cfg.port = Number(v);
    else if (k === 'dbname') cfg.database = v;
    else if (k === 'user') cfg.user = v;
    else if (k === 'password') cfg.password = v;
  }
  return cfg;
}

export async function withClient(conninfo, fn) {
  const client = new pg.Client(pgConfig(conninfo));
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/*
 * Add 'count' active, verified members that share the Argon2id hash of the
 * member 'templateEmail' (so all have its password), each in GROUPS with
 * ROLES. Returns [{ id, subject, email, name }].
 */
export async function seedMembers(db, templateEmail, count) {
  const { rows: [template] } = await db.query(
    'SELECT password_hash FROM members WHERE email_key = $1', [templateEmail]);
  if (!template) throw new Error(`seed: member ${templateEmail} not found`);

  const { rows } = await db.query(
    `INSERT INTO members (subject, email, email_key, email_verified, name, password_hash)
     SELECT s, e, e, true, 'Bench Member ' || i, $2
     FROM generate_series(1, $1::int) AS i,
       LATERAL (SELECT 'bench' || i || '@bench.test' AS e,
         translate(encode(sha256(('bench-subject-' || i || random())::bytea), 'base64'),
           '+/=', '-_') AS s) AS x
     RETURNING id, subject, email, name`, [count, template.password_hash]);

  for (const group of GROUPS) {
    await db.query('INSERT INTO groups (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [group]);
  }
  await db.query(
    `INSERT INTO member_groups (member_id, group_id)
     SELECT m, g.id FROM unnest($1::bigint[]) AS m, groups g WHERE g.name = ANY($2)`,
    [rows.map((r) => r.id), GROUPS]);
  await db.query(
    `INSERT INTO member_roles (member_id, role_id)
     SELECT m, r.id FROM unnest($1::bigint[]) AS m, roles r WHERE r.name = ANY($2)
     ON CONFLICT DO NOTHING`,
    [rows.map((r) => r.id), ROLES]);
  return rows;
}

// One grant per token, as after separate sign-ins, so that concurrent
// rotations never wait on the same grant row.
export async function seedRefreshTokens(db, clientPk, members, count) {
  const tokens = [];
  for (let done = 0; done < count; done += BATCH) {
    const n = Math.min(BATCH, count - done);
    const keys = []; const memberIds = []; const hashes = [];
    for (let i = 0; i < n; i++) {
      const token = newToken();
      tokens.push(token);
      keys.push(newToken());
      memberIds.push(members[(done + i) % members.length].id);
      hashes.push(sha256Hex(token));
    }
    await db.query(
      `WITH t AS (SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[]) AS t(k, m, h)),
       g AS (INSERT INTO grants (grant_key, client_id, member_id, scopes, auth_time, refresh_expires_at)
         SELECT k, $4, m, $5, now(), now() + interval '30 days' FROM t RETURNING id, grant_key)
       INSERT INTO refresh_tokens (token_hash, grant_id, scopes, expires_at)
       SELECT t.h, g.id, $5, now() + interval '7 days' FROM t JOIN g ON g.grant_key = t.k`,
      [keys, memberIds, hashes, clientPk, GRANT_SCOPES]);
  }
  return tokens;
}

// Codes bound to 'redirectUri' with the S256 challenge of 'verifier'. They
// stay valid for an hour so that the run can finish; the server's own
// codes live ORGO_CODE_TTL seconds (60 by default).
export async function seedCodes(db, clientPk, members, count, redirectUri, verifier) {
  const challenge = sha256B64url(verifier);
  const codes = [];
  for (let done = 0; done < count; done += BATCH) {
    const n = Math.min(BATCH, count - done);
    const hashes = []; const memberIds = [];
    for (let i = 0; i < n; i++) {
      const code = newToken();
      codes.push(code);
      hashes.push(sha256Hex(code));
      memberIds.push(members[(done + i) % members.length].id);
    }
    await db.query(
      `INSERT INTO authorization_codes (code_hash, client_id, member_id, redirect_uri,
         redirect_uri_given, scopes, code_challenge, auth_time, expires_at)
       SELECT h, $3, m, $4, true, $5, $6, now(), now() + interval '1 hour'
       FROM unnest($1::text[], $2::bigint[]) AS t(h, m)`,
      [hashes, memberIds, clientPk, redirectUri, GRANT_SCOPES, challenge]);
  }
  return codes;
}

export function writePool(file, tokens) {
  fs.writeFileSync(file, tokens.join('\n') + '\n');
}
