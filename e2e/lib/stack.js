// The system under test, as a co-op would run it: a database of its own on
// the throwaway PostgreSQL server `e2e/run` starts, a YAML configuration,
// `coopgate serve` as a child process whose output is kept for the log
// check, a mail server on the wire, and the sample relying party.
import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { MailCatcher, findLink } from './mailcatcher.js';

const run = promisify(execFile);

export const E2E_DIR = new URL('..', import.meta.url).pathname;
export const ARTIFACTS = join(E2E_DIR, 'artifacts');
const BIN = join(E2E_DIR, '.bin');

export const CLIENT_ID = 'sample';

// Stack is one gateway with its database, mail server and relying party.
export class Stack {
  gatewayLog = ''; // everything `coopgate serve` wrote, across restarts
  secrets = new Secrets();
  #gateway;
  #rp;
  #gatewayExit;
  #logFile;

  // trustedProxies go into the configuration: a journey that plays clients
  // at many addresses sends X-Forwarded-For through the loopback "proxy".
  // clients are further relying parties, { id, redirectURI, idTokenAlg },
  // each with the sample service's secret.
  //
  // Each test file's stack keeps its configuration and log in a folder of
  // its own (artifacts/<file>/), so files run side by side (node --test runs
  // several at once on a larger machine) never write over each other's.
  //
  // mastodon, a started FakeMastodon, is configured as the co-op's Mastodon.
  // host names the gateway in its issuer: passkeys need a domain name as
  // their relying party ID, so a journey with passkeys uses localhost (a
  // secure context to Chromium, as 127.0.0.1 is, but not an IP address).
  constructor({ trustedProxies = [], clients = [], name = stackName(), mastodon = null, host = '127.0.0.1' } = {}) {
    this.trustedProxies = trustedProxies;
    this.clients = clients;
    this.name = name;
    this.mastodon = mastodon;
    this.host = host;
  }

  async start() {
    const adminURL = process.env.COOPGATE_TEST_DATABASE_URL;
    if (!adminURL) throw new Error('COOPGATE_TEST_DATABASE_URL is not set: run the journeys through e2e/run');
    this.dir = join(ARTIFACTS, this.name);
    mkdirSync(this.dir, { recursive: true });
    this.databaseURL = await createDatabase(adminURL, 'coopgate_e2e_' + randomBytes(4).toString('hex'));
    this.mail = await new MailCatcher().start();
    const [gatewayPort, rpPort] = [await freePort(), await freePort()];
    this.listen = `127.0.0.1:${gatewayPort}`;
    this.issuer = `http://${this.host}:${gatewayPort}`;
    this.rpURL = `http://127.0.0.1:${rpPort}`;
    this.clientSecret = token(24);
    this.cryptoKey = randomBytes(32).toString('base64');
    this.cookieSecret = token(32);
    this.secrets.add('client secret', this.clientSecret);
    this.secrets.add('crypto key', this.cryptoKey);
    this.secrets.add('cookie secret', this.cookieSecret);
    if (this.mastodon) this.secrets.add('Mastodon admin token', this.mastodon.token);
    this.configPath = join(this.dir, 'coopgate.yaml');
    this.writeConfig({});
    this.#logFile = createWriteStream(join(this.dir, 'gateway.log'));
    await this.startGateway();
    await this.startRP();
    return this;
  }

  // writeConfig writes the gateway's configuration; policiesDir replaces
  // the built-in policies.
  writeConfig({ policiesDir = '' }) {
    writeFileSync(this.configPath, configYAML(this, policiesDir), { mode: 0o600 });
  }

  async startGateway() {
    const child = spawn(join(BIN, 'coopgate'), ['serve', '--config', this.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk) => {
      this.gatewayLog += chunk;
      this.#logFile.write(chunk);
    };
    child.stdout.setEncoding('utf8').on('data', keep);
    child.stderr.setEncoding('utf8').on('data', keep);
    // 'close' comes after the last output is read, so the log is complete.
    this.#gatewayExit = new Promise((resolve) => child.on('close', resolve));
    this.#gateway = child;
    await waitUntil(`coopgate serve at ${this.issuer}`, this.#gatewayExit, () => this.gatewayLog, async () => {
      const res = await fetch(this.issuer + '/.well-known/openid-configuration');
      return res.ok;
    });
  }

  async stopGateway() {
    if (!this.#gateway || this.#gateway.exitCode !== null) return;
    this.#gateway.kill('SIGTERM');
    const code = await Promise.race([this.#gatewayExit, sleep(15000).then(() => 'timeout')]);
    if (code === 'timeout') {
      this.#gateway.kill('SIGKILL');
      throw new Error('coopgate serve did not stop within 15 s of SIGTERM');
    }
  }

  // restartGateway starts the gateway again with a changed configuration,
  // as an upgrade or a sysadmin's edit would; the database carries over.
  async restartGateway(config) {
    await this.stopGateway();
    this.writeConfig(config);
    await this.startGateway();
  }

  async startRP() {
    const args = ['--issuer', this.issuer, '--client-id', CLIENT_ID, '--listen', this.rpURL.replace('http://', '')];
    const child = spawn(join(BIN, 'samplerp'), args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SAMPLERP_CLIENT_SECRET: this.clientSecret },
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (out += c));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    this.#rp = child;
    await waitUntil(`the sample relying party at ${this.rpURL}`, exited, () => out, async () => (await fetch(this.rpURL)).ok);
  }

  // createUser runs `coopgate users create` as a sysadmin bootstrapping the
  // gateway would, the password on standard input.
  async createUser({ email, name, username, role, password }) {
    this.secrets.add('password', password);
    this.secrets.add('email address', email);
    const args = ['users', 'create', '--config', this.configPath, '--email', email, '--name', name,
      '--username', username, '--role', role, '--password-stdin'];
    const child = execFile(join(BIN, 'coopgate'), args);
    child.stdin.end(password + '\n');
    const [code, output] = await collect(child);
    if (code !== 0) throw new Error(`coopgate users create ${email} failed (${code}):\n${output}`);
  }

  // linkIn returns the link to path on the gateway in a mail, and keeps the
  // values of its query (tokens) as secrets for the log check.
  linkIn(mail, path) {
    const link = findLink(mail.text, this.issuer + path);
    for (const [, v] of new URL(link).searchParams) this.secrets.add('token from a mail link', v);
    return link;
  }

  async stop() {
    this.#rp?.kill('SIGTERM');
    await this.stopGateway().catch((err) => console.error(err.message));
    await this.mail?.stop();
    await new Promise((resolve) => (this.#logFile ? this.#logFile.end(resolve) : resolve()));
  }
}

// Secrets are the values the gateway's logs must never hold.
export class Secrets {
  #items = new Map(); // value -> kind

  add(kind, value) {
    if (value && value.length >= 6 && !this.#items.has(value)) this.#items.set(value, kind);
  }

  get list() {
    return [...this.#items].map(([value, kind]) => ({ kind, value }));
  }
}

function configYAML(s, policiesDir) {
  return `# Written by the e2e harness for one run.
issuer: ${s.issuer}
listen: ${s.listen}
trusted_proxies: [${s.trustedProxies.join(', ')}]
database_url: ${s.databaseURL}
crypto_key: ${s.cryptoKey}
cookie_secret: ${s.cookieSecret}
coop:
  name: Test Co-op
  secretary_email: secretary@example.coop
smtp:
  host: 127.0.0.1
  port: ${s.mail.port}
  from: id@example.coop
  tls: none
admission:
  allowed_email_domains: [example.coop]
clients:
  - id: ${CLIENT_ID}
    name: Sample service
    secret: ${s.clientSecret}
    auth_method: client_secret_basic
    redirect_uris: [${s.rpURL}/callback]
    post_logout_redirect_uris: [${s.rpURL}/]
    scopes: [openid, profile, email, groups]
${s.clients.map((c) => clientYAML(s, c)).join('')}policies:
  dir: "${policiesDir}"
log:
  format: json
  level: debug
${s.mastodon ? mastodonYAML(s.mastodon) : ''}`;
}

function mastodonYAML(m) {
  return `downstream:
  mastodon:
    enabled: true
    base_url: ${m.url}
    token: ${m.token}
`;
}

function clientYAML(s, c) {
  return `  - id: ${c.id}
    name: ${c.id}
    secret: ${s.clientSecret}
    auth_method: client_secret_basic
    redirect_uris: [${c.redirectURI}]
    scopes: [openid, profile, email]
    id_token_signed_response_alg: ${c.idTokenAlg}
`;
}

async function createDatabase(adminURL, name) {
  await run('psql', [adminURL, '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE DATABASE ${name}`]);
  const u = new URL(adminURL);
  u.pathname = '/' + name;
  return u.toString();
}

// stackName names a stack for the test file that runs it (node --test runs
// each file in a process of its own).
function stackName() {
  const file = process.argv.find((a) => a.endsWith('.test.js'));
  return file ? basename(file, '.test.js') : `stack-${process.pid}`;
}

export function token(n) {
  return randomBytes(n).toString('base64url');
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// waitUntil polls ready() for up to 30 s; it fails at once, with the
// process's output, if the process exits first.
export async function waitUntil(what, exited, output, ready) {
  let gone = false;
  exited.then(() => (gone = true));
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`${what} exited while starting:\n${output()}`);
    if (await ready().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${what} was not ready within 30 s:\n${output()}`);
}

function collect(child) {
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  return new Promise((resolve) => child.on('close', (code) => resolve([code, out])));
}
