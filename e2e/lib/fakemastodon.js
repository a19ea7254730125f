// The co-op's Mastodon for the journeys: the Go tests' fake
// (internal/downstream/mastodon/mastodontest, which follows Mastodon's admin
// API and refuses what it refuses) run as a process by e2e/fakemastodon. A
// journey reads and changes its domain blocks through that same admin API
// with the admin token, as Mastodon's own admin pages would behind
// coopgate's back.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { E2E_DIR, freePort, token, waitUntil } from './stack.js';

export class FakeMastodon {
  #child;
  token = token(24);

  async start() {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const child = spawn(join(E2E_DIR, '.bin', 'fakemastodon'), ['--listen', `127.0.0.1:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FAKEMASTODON_TOKEN: this.token },
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (out += c));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    this.#child = child;
    await waitUntil(`the fake Mastodon at ${this.url}`, exited, () => out, async () => (await this.#api('GET', '')).ok);
    return this;
  }

  // blocks are Mastodon's domain blocks, as its admin API lists them.
  async blocks() {
    const res = await this.#api('GET', '?limit=200');
    if (!res.ok) throw new Error(`GET domain_blocks: HTTP ${res.status}`);
    return res.json();
  }

  // block creates a domain block directly on Mastodon, by passing coopgate.
  async block(params) {
    const res = await this.#api('POST', '', params);
    if (!res.ok) throw new Error(`POST domain_blocks: HTTP ${res.status}: ${await res.text()}`);
    return res.json();
  }

  #api(method, suffix, body) {
    const headers = { Authorization: `Bearer ${this.token}` };
    if (body) headers['Content-Type'] = 'application/json';
    return fetch(`${this.url}/api/v1/admin/domain_blocks${suffix}`, { method, headers, body: body && JSON.stringify(body) });
  }

  stop() {
    this.#child?.kill('SIGTERM');
  }
}
