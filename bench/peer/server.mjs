// The benchmark's reference peer: panva's oidc-provider (OpenID Certified)
// set up like coopgate — one confidential client, ID tokens signed with
// ID_TOKEN_ALG (RS256 unless set), PKCE S256, rotating refresh tokens,
// introspection — with a real HTML login form so that the load tool drives
// the same authorize → form → code → token flow on both.
//
// Usage: PORT=4011 ID_TOKEN_ALG=ES256 node server.mjs   (listens on 127.0.0.1 only)

import { createServer } from 'node:http';
import * as crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';

import Provider from 'oidc-provider';

const PORT = Number(process.env.PORT || 4011);
const ISSUER = `http://127.0.0.1:${PORT}`;

// The load tool logs in as userN / PASSWORD (N in 0..ACCOUNT_COUNT-1):
// 300 different members in the Monday morning scenario.
const ACCOUNT_COUNT = 1000;
const PASSWORD = 'bench-password-0123456789';

// coopgate's argon2id costs (internal/password): 64 MiB, one pass, two lanes.
const ARGON2 = { memoryKiB: 64 * 1024, passes: 1, parallelism: 2, tagLength: 32 };

// The client's id_token_signed_response_alg, as coopgate's bench client
// is set: RS256, ES256 or EdDSA.
const ID_TOKEN_ALG = process.env.ID_TOKEN_ALG || 'RS256';

const CLIENT = {
  client_id: 'bench',
  id_token_signed_response_alg: ID_TOKEN_ALG,
  client_secret: 'bench-secret-0123456789',
  redirect_uris: ['http://127.0.0.1:9/cb'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
};

// note prints a line the load tool copies into its report.
function note(text) {
  process.stdout.write(`bench-note: ${text}\n`);
}

function makeAccounts() {
  const accounts = new Map();
  for (let i = 0; i < ACCOUNT_COUNT; i += 1) {
    const sub = `user${i}`;
    accounts.set(sub, {
      sub,
      email: `${sub}@bench.test`,
      email_verified: true,
      name: `Bench User ${i}`,
      preferred_username: sub,
    });
  }
  return accounts;
}

// keyParams are node:crypto's key pair types for each ID token algorithm:
// RSA-2048, P-256 and Ed25519, as coopgate's keys.
const keyParams = {
  RS256: ['rsa', { modulusLength: 2048 }],
  ES256: ['ec', { namedCurve: 'P-256' }],
  EdDSA: ['ed25519', {}],
};

// signingKeys returns a fresh JWKS (the peer keeps no state across runs)
// with an RS256 key and one for the client's algorithm: what coopgate
// publishes, RS256 always and a key per algorithm its clients use.
function signingKeys() {
  if (!keyParams[ID_TOKEN_ALG]) throw new Error(`ID_TOKEN_ALG ${ID_TOKEN_ALG}: not one of ${Object.keys(keyParams)}`);
  const algs = [...new Set(['RS256', ID_TOKEN_ALG])];
  const keys = algs.map((alg) => {
    const { privateKey } = crypto.generateKeyPairSync(...keyParams[alg]);
    return { ...privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid: crypto.randomUUID() };
  });
  note(`ID tokens signed with ${ID_TOKEN_ALG}; key set: ${algs.join(', ')}`);
  return { keys };
}

// passwordChecker picks the closest match to coopgate's argon2id hashing
// that this Node has, hashes PASSWORD once (as if read from a user table)
// and returns a verify(password) => Promise<boolean>. PASSWORD_CHECK=scrypt
// skips the npm argon2 module: the load tool sets it when the module's
// native code crashes node on load, which no catch here could survive.
async function passwordChecker() {
  if (typeof crypto.argon2 === 'function') return nodeArgon2Checker();
  if (process.env.PASSWORD_CHECK === 'scrypt') return scryptChecker('npm argon2 does not load here');
  try {
    return await npmArgon2Checker();
  } catch (err) {
    return scryptChecker(`npm argon2 unavailable: ${err.message}`);
  }
}

// nodeArgon2Checker uses node:crypto's argon2 (Node 24.7+).
async function nodeArgon2Checker() {
  const argon2 = promisify(crypto.argon2);
  const nonce = crypto.randomBytes(16);
  const derive = (message) => argon2('argon2id', {
    message,
    nonce,
    parallelism: ARGON2.parallelism,
    tagLength: ARGON2.tagLength,
    memory: ARGON2.memoryKiB,
    passes: ARGON2.passes,
  });
  const stored = await derive(PASSWORD);
  note(`password check: argon2id m=${ARGON2.memoryKiB}KiB t=${ARGON2.passes} p=${ARGON2.parallelism} (node:crypto)`);
  return async (pw) => crypto.timingSafeEqual(stored, await derive(pw));
}

// npmArgon2Checker uses the npm argon2 package's bundled prebuilt binary.
async function npmArgon2Checker() {
  const { default: argon2 } = await import('argon2');
  const stored = await argon2.hash(PASSWORD, {
    type: argon2.argon2id,
    memoryCost: ARGON2.memoryKiB,
    timeCost: ARGON2.passes,
    parallelism: ARGON2.parallelism,
    hashLength: ARGON2.tagLength,
  });
  note(`password check: argon2id m=${ARGON2.memoryKiB}KiB t=${ARGON2.passes} p=${ARGON2.parallelism} (npm argon2)`);
  return (pw) => argon2.verify(stored, pw);
}

// scryptChecker is the last resort: N=2^16, r=8 touches 64 MiB like argon2id.
async function scryptChecker(why) {
  const scrypt = promisify(crypto.scrypt);
  const salt = crypto.randomBytes(16);
  const opts = { N: 1 << 16, r: 8, p: 1, maxmem: 80 * 1024 * 1024 };
  const stored = await scrypt(PASSWORD, salt, 32, opts);
  note(`password check: scrypt N=65536 r=8 p=1, 64 MiB, NOT argon2id (${why})`);
  return async (pw) => crypto.timingSafeEqual(stored, await scrypt(pw, salt, 32, opts));
}

function providerConfig(accounts) {
  return {
    clients: [CLIENT],
    jwks: signingKeys(),
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    scopes: ['openid', 'email', 'profile', 'offline_access'],
    features: {
      devInteractions: { enabled: false }, // our own form below
      introspection: { enabled: true, allowedPolicy: ownTokenOnly },
      revocation: { enabled: true, allowedPolicy: ownTokenOnly },
    },
    pkce: { required: () => true },
    // coopgate issues a refresh token on every code grant and rotates it on
    // every use; the library's defaults (offline_access only, rotate after
    // 70% of its life) would make the refresh chain a different workload.
    issueRefreshToken: async () => true,
    rotateRefreshToken: () => true,
    ttl: {
      AccessToken: 60 * 60,
      AuthorizationCode: 60,
      IdToken: 60 * 60,
      Interaction: 10 * 60,
      RefreshToken: 14 * 24 * 60 * 60,
      Session: 14 * 24 * 60 * 60,
      Grant: 14 * 24 * 60 * 60,
    },
    findAccount: async (ctx, sub) => {
      const claims = accounts.get(sub);
      if (!claims) return undefined;
      return { accountId: sub, claims: async () => claims };
    },
  };
}

// ownTokenOnly lets a client introspect or revoke only tokens issued to it.
async function ownTokenOnly(ctx, client, token) {
  return token.clientId === client.clientId;
}

function escapeHTML(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(uid, message) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Sign in</title></head><body>
<h1>Sign in</h1>${message ? `<p role="alert">${escapeHTML(message)}</p>` : ''}
<form method="post" action="/interaction/${escapeHTML(uid)}/login">
<label>Username <input name="login" autocomplete="username" required></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form></body></html>`;
}

function sendHTML(res, status, body) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(body);
}

// readForm reads a small urlencoded body; a login form is never large.
async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 8192) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

// grantRequested records consent to everything the client asked for: the
// one client is first-party, as coopgate's relying parties are, so no
// consent page is shown on either side.
async function grantRequested(provider, details, accountId) {
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  return grant.save();
}

function interactionHandlers(provider, accounts, verifyPassword) {
  // show renders the login form, or finishes a consent prompt silently.
  async function show(req, res) {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === 'login') return sendHTML(res, 200, loginPage(details.uid));
    const grantId = await grantRequested(provider, details, details.session.accountId);
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  // login checks the password (always hashing, known user or not, as
  // coopgate does) and finishes login and consent in one step.
  async function login(req, res) {
    const details = await provider.interactionDetails(req, res);
    const form = await readForm(req);
    const username = form.get('login') || '';
    const ok = await verifyPassword(form.get('password') || '');
    if (!ok || !accounts.has(username)) {
      return sendHTML(res, 200, loginPage(details.uid, 'Wrong username or password.'));
    }
    const grantId = await grantRequested(provider, details, username);
    const result = { login: { accountId: username }, consent: { grantId } };
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }

  return { show, login };
}

// route sends /interaction/:uid and /interaction/:uid/login to our handlers
// and everything else to the provider.
function router(provider, handlers) {
  const callback = provider.callback();
  return async (req, res) => {
    const { pathname } = new URL(req.url, ISSUER);
    const m = pathname.match(/^\/interaction\/([\w-]+)(\/login)?$/);
    if (!m) return callback(req, res);
    try {
      if (!m[2] && req.method === 'GET') return await handlers.show(req, res);
      if (m[2] && req.method === 'POST') return await handlers.login(req, res);
      return sendHTML(res, 405, 'method not allowed');
    } catch (err) {
      process.stderr.write(`interaction error: ${err.stack || err}\n`);
      return sendHTML(res, 400, 'interaction failed');
    }
  };
}

async function main() {
  const { version } = createRequire(import.meta.url)('oidc-provider/package.json');
  note(`oidc-provider ${version} on Node ${process.version}, in-memory adapter`);
  const accounts = makeAccounts();
  const verifyPassword = await passwordChecker();
  const provider = new Provider(ISSUER, providerConfig(accounts));
  provider.on('server_error', (ctx, err) => process.stderr.write(`server_error: ${err.stack || err}\n`));
  const server = createServer(router(provider, interactionHandlers(provider, accounts, verifyPassword)));
  server.listen(PORT, '127.0.0.1', () => process.stdout.write(`listening on ${ISSUER}\n`));
  const stop = () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref(); // keep-alive stragglers
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
