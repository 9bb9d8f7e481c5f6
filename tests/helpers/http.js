// A small HTTP client for page tests: keeps cookies like a browser, never
// follows redirects by itself, and sends Origin on POST like a browser
// posting one of our forms.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './server.js';

export class Agent {
  constructor(baseUrl) {
    this.baseUrl = baseUrl;
    this.cookies = new Map();
  }

  cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  store(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const maxAge = /Max-Age=(\d+)/i.exec(line);
      if (value === '' || (maxAge && maxAge[1] === '0')) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(method, urlPath, { form, headers = {}, origin = this.baseUrl, body } = {}) {
    const h = { ...headers };
    if (this.cookies.size) h.cookie = this.cookieHeader();
    if (form) {
      h['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    }
    if (method === 'POST' && origin !== null && !('origin' in h)) h.origin = origin;
    const res = await fetch(new URL(urlPath, this.baseUrl), { method, headers: h, body, redirect: 'manual' });
    this.store(res);
    res.text_ = await res.text();
    return res;
  }

  get(p, opts) { return this.request('GET', p, opts); }
  post(p, form, opts = {}) { return this.request('POST', p, { ...opts, form }); }

  // Opens the sign-in page and posts the form with its CSRF token.
  async signIn(email, password, returnTo) {
    // force=1 shows the form even to a signed-in member.
    const page = await this.get('/login?force=1' + (returnTo ? `&return_to=${encodeURIComponent(returnTo)}` : ''));
    const form = { csrf_token: csrfToken(page.text_), email, password };
    if (returnTo) form.return_to = returnTo;
    return this.post('/login', form);
  }
}

export function csrfToken(html) {
  const m = /name="csrf_token" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no csrf_token in page');
  return m[1];
}

// Runs build/orgoctl against a test server's database.
export function orgoctl(server, args, input) {
  return execFileSync(path.join(ROOT, 'build/orgoctl'), args, {
    env: server.env, input, encoding: 'utf8',
  });
}

// Creates a member through orgoctl and returns its data with the password.
export function addMember(server, { email, name, roles = [], groups = [], password = 'correct horse battery', verified = true }) {
  const args = ['member', 'add', '--email', email, '--name', name, '--password-stdin', '--json'];
  for (const r of roles) args.push('--role', r);
  for (const g of groups) args.push('--group', g);
  if (verified) args.push('--verified');
  const out = JSON.parse(orgoctl(server, args, password + '\n'));
  return { ...out, password };
}
