// An OAuth client for the tests: PKCE pairs, the authorization request
// with sign-in and consent over HTTP, token requests with either client
// authentication method, and JWT decoding, checking and signing with
// node:crypto.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { csrfToken, orgoctl } from './http.js';

export const b64url = (data) => Buffer.from(data).toString('base64url');
export const sha256Hex = (s) => crypto.createHash('sha256').update(s).digest('hex');
export const sha256B64url = (s) => crypto.createHash('sha256').update(s).digest('base64url');

// A code_verifier of 43 characters and its S256 code_challenge.
export function pkcePair() {
  const verifier = b64url(crypto.randomBytes(32));
  return { verifier, challenge: sha256B64url(verifier) };
}

// Registers an application through orgoctl and returns its JSON
// (client_id, and client_secret for confidential applications). 'grants'
// lists optional grants to allow, such as 'device_code'.
export function addApp(server, { name = 'Wiki', description, redirectUris = ['https://wiki.example.org/cb'],
  scopes = ['profile', 'email', 'groups', 'roles'], isPublic = false, grants = [] } = {}) {
  const args = ['app', 'add', '--name', name];
  if (description !== undefined) args.push('--description', description);
  for (const uri of redirectUris) args.push('--redirect-uri', uri);
  for (const scope of scopes) args.push('--scope', scope);
  if (isPublic) args.push('--public');
  for (const grant of grants) args.push('--grant', grant);
  args.push('--json');
  return { ...JSON.parse(orgoctl(server, args)), redirectUris };
}

// Returns the member's OpenID Connect subject from `orgoctl member list`.
export function memberSubject(server, email) {
  const members = JSON.parse(orgoctl(server, ['member', 'list', '--json']));
  const member = members.find((m) => m.email === email);
  if (!member) throw new Error(`orgoctl member list has no member ${email}`);
  return member.subject;
}

export function authorizePath(params) {
  return '/oauth/authorize?' + new URLSearchParams(params).toString();
}

// Parses the Location of a response as an absolute URL, or returns null.
export function locationUrl(res, base) {
  const location = res.headers.get('location');
  return location === null ? null : new URL(location, base);
}

// The hidden request handle of the consent form.
export function consentHandle(html) {
  const m = /name="request" value="([A-Za-z0-9_-]{43})"/.exec(html);
  if (!m) throw new Error('no request handle in the consent page');
  return m[1];
}

// Posts the consent form of 'page' with decision allow or deny.
export function answerConsent(agent, page, decision) {
  return agent.post('/oauth/authorize/consent', {
    csrf_token: csrfToken(page.text_), request: consentHandle(page.text_), decision,
  });
}

/*
 * Runs an authorization request the way a browser would: GET
 * /oauth/authorize, sign in when sent to the sign-in page, allow on the
 * consent page when shown. 'agent' may already be signed in. Returns the
 * final redirect to the application as { res, url, code, state, iss } and
 * 'steps' naming what happened ('login', 'consent').
 */
export async function authorize(agent, params, { member, decision = 'allow' } = {}) {
  const steps = [];
  let res = await agent.get(authorizePath(params));

  if (res.status === 303 && res.headers.get('location').startsWith('/login?')) {
    if (!member) throw new Error('authorization request needs a sign-in but no member was given');
    steps.push('login');
    const returnTo = locationUrl(res, agent.baseUrl).searchParams.get('return_to');
    const login = await agent.signIn(member.email, member.password, returnTo);
    if (login.status !== 303) throw new Error(`sign-in failed with status ${login.status}`);
    res = await agent.get(login.headers.get('location'));
  }

  if (res.status === 200 && /action="\/oauth\/authorize\/consent"/.test(res.text_)) {
    steps.push('consent');
    res = await answerConsent(agent, res, decision);
  }

  if (res.status !== 302) {
    throw new Error(`authorization request ended with status ${res.status}: ${res.text_.slice(0, 500)}`);
  }
  const url = locationUrl(res, agent.baseUrl);
  const q = url.searchParams;
  return { res, url, steps, code: q.get('code'), state: q.get('state'), iss: q.get('iss'), error: q.get('error') };
}

// The value of an Authorization header for client_secret_basic: the id and
// secret are form-encoded before base64 (RFC 6749 section 2.3.1).
export function basicAuth(id, secret, encode = encodeURIComponent) {
  return 'Basic ' + Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64');
}

/*
 * POSTs a form to the token endpoint. 'basic' is [client_id, secret] for
 * client_secret_basic. Returns the response with the parsed JSON body as
 * 'json' (null when the body is not JSON).
 */
export async function tokenRequest(server, form, { basic, origin, headers = {}, body, contentType } = {}) {
  const h = { ...headers };
  h['content-type'] = contentType ?? 'application/x-www-form-urlencoded';
  if (basic) h.authorization = basicAuth(basic[0], basic[1]);
  if (origin) h.origin = origin;
  const res = await fetch(`${server.url}/oauth/token`, {
    method: 'POST', headers: h, body: body ?? new URLSearchParams(form).toString(),
  });
  res.text_ = await res.text();
  try { res.json = JSON.parse(res.text_); } catch { res.json = null; }
  return res;
}

// Redeems a code: with Basic authentication for a confidential app, with
// client_id alone for a public one.
export function redeemCode(server, app, code, { redirectUri, verifier, origin } = {}) {
  const form = { grant_type: 'authorization_code', code };
  if (redirectUri) form.redirect_uri = redirectUri;
  if (verifier) form.code_verifier = verifier;
  if (app.client_secret) return tokenRequest(server, form, { basic: [app.client_id, app.client_secret], origin });
  return tokenRequest(server, { ...form, client_id: app.client_id }, { origin });
}

export function refresh(server, app, refreshToken, { scope } = {}) {
  const form = { grant_type: 'refresh_token', refresh_token: refreshToken };
  if (scope !== undefined) form.scope = scope;
  if (app.client_secret) return tokenRequest(server, form, { basic: [app.client_id, app.client_secret] });
  return tokenRequest(server, { ...form, client_id: app.client_id });
}

// Calls /oauth/userinfo with the token in the Authorization header.
export async function userinfo(server, token, { scheme = 'Bearer', method = 'GET', origin } = {}) {
  const headers = {};
  if (token !== undefined) headers.authorization = `${scheme} ${token}`;
  if (origin) headers.origin = origin;
  const res = await fetch(`${server.url}/oauth/userinfo`, { method, headers });
  res.text_ = await res.text();
  try { res.json = JSON.parse(res.text_); } catch { res.json = null; }
  return res;
}

// Splits a compact JWS into its decoded header and payload.
export function decodeJwt(token) {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error(`a JWT has 3 segments, this one has ${parts.length}`);
  return {
    header: JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')),
    signingInput: `${parts[0]}.${parts[1]}`,
    signature: Buffer.from(parts[2], 'base64url'),
  };
}

// Checks the RS256 signature of 'token' against a public key in PEM.
export function verifyRs256(token, publicPem) {
  const { signingInput, signature } = decodeJwt(token);
  return crypto.verify('sha256', Buffer.from(signingInput), publicPem, signature);
}

// The signing keys from the database: [{ kid, public_pem, sealed_private_key }].
export async function signingKeys(server) {
  return (await server.query('SELECT kid, public_pem, sealed_private_key FROM signing_keys ORDER BY created_at')).rows;
}

/*
 * Opens the server's signing key the way src/secretbox.c seals it:
 * base64url(nonce[12] | AES-256-GCM ciphertext | tag[16]) with the kid as
 * additional data, under the test master key. Lets a test sign tokens that
 * only a claim check can reject (expired, foreign issuer).
 */
export async function serverSigningKey(server) {
  const [row] = await signingKeys(server);
  const master = Buffer.from(fs.readFileSync(server.env.ORGO_MASTER_KEY_FILE, 'utf8').trim(), 'hex');
  const raw = Buffer.from(row.sealed_private_key, 'base64url');
  const decipher = crypto.createDecipheriv('aes-256-gcm', master, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(row.kid));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  const pem = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
  return { kid: row.kid, privateKey: crypto.createPrivateKey(pem), publicPem: row.public_pem };
}

// Builds a compact JWS. 'sign' maps the signing input to the signature
// bytes; signRs256 and signHs256 make the usual ones.
export function encodeJwt(header, payload, sign) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${b64url(sign(Buffer.from(input)))}`;
}

export const signRs256 = (privateKey) => (input) => crypto.sign('sha256', input, privateKey);
export const signHs256 = (secret) => (input) => crypto.createHmac('sha256', secret).update(input).digest();

// at_hash of OpenID Connect Core section 3.1.3.6 for RS256: the left half
// of SHA-256 of the access token, base64url.
export function atHash(accessToken) {
  return crypto.createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');
}
