// Issue 16: a relying party whose client is set to ES256 or EdDSA ID tokens
// (id_token_signed_response_alg) logs a member in with panva's
// openid-client, an OpenID Certified relying party library independent of
// coopgate's Go stack: it takes the algorithm from the client's metadata,
// refuses an ID token of any other, and verifies the signature with the key
// it finds in coopgate's key set (enableNonRepudiationChecks). The member
// logs in through Chromium; openid-client does the rest. One gateway of its
// own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import * as oidc from 'openid-client';
import { Stack, token } from '../lib/stack.js';
import { launchBrowser, Gallery, journey } from '../lib/browser.js';
import { fillLogin, acceptTermsIfAsked } from '../lib/flows.js';

const JOURNEY = { timeout: 180000 };
const ALGORITHMS = ['ES256', 'EdDSA'];

let stack, browser, gallery, callback, clients;

before(async () => {
  // The services' callback only has to answer: openid-client reads the code
  // from the URL the browser landed on, as a service's callback would.
  callback = createServer((req, res) => res.end('back at the service'));
  await new Promise((resolve) => callback.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${callback.address().port}/callback`;
  clients = ALGORITHMS.map((alg) => ({ id: `rp-${alg.toLowerCase()}`, redirectURI: `${base}/${alg}`, idTokenAlg: alg }));
  stack = await new Stack({ clients }).start();
  browser = await launchBrowser();
  gallery = new Gallery(stack.issuer);
}, { timeout: 60000 });

after(async () => {
  await browser?.close();
  await stack?.stop();
  callback?.close();
});

test('s. a service on ES256 and one on EdDSA log a member in with openid-client, which verifies each ID token with its published key', JOURNEY, async () => {
  const ida = { email: 'ida@example.coop', name: 'Ida Member', username: 'ida', password: `ida-${token(12)}` };
  await stack.createUser({ ...ida, role: 'member' });
  await journey(browser, gallery, 's-signing', ['ida'], async (actor) => {
    for (const c of clients) {
      const config = await oidc.discovery(new URL(stack.issuer), c.id, { id_token_signed_response_alg: c.idTokenAlg },
        oidc.ClientSecretBasic(stack.clientSecret), { execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks] });
      const verifier = oidc.randomPKCECodeVerifier();
      const nonce = oidc.randomNonce();
      const state = oidc.randomState();
      const start = oidc.buildAuthorizationUrl(config, {
        redirect_uri: c.redirectURI, scope: 'openid profile email', nonce, state,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      });
      await actor.page.goto(start.href);
      await actor.snap(`login for ${c.idTokenAlg}`);
      // The first service asks for the password; the second finds the session.
      if (new URL(actor.page.url()).pathname === '/login') await fillLogin(actor, ida.email, ida.password);
      await acceptTermsIfAsked(actor);
      assert.ok(actor.page.url().startsWith(c.redirectURI + '?'), `${c.idTokenAlg}: the login ended at ${actor.page.url()}, not at the service`);

      const tokens = await oidc.authorizationCodeGrant(config, new URL(actor.page.url()),
        { pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state });
      stack.secrets.add('access token', tokens.access_token);
      stack.secrets.add('ID token', tokens.id_token);
      const header = JSON.parse(Buffer.from(tokens.id_token.split('.')[0], 'base64url'));
      assert.equal(header.alg, c.idTokenAlg, `the ${c.id} client's ID token is signed with ${header.alg}`);
      const claims = tokens.claims();
      assert.equal(claims.email, ida.email);
      assert.equal(claims.preferred_username, ida.username);
      const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      assert.equal(info.email, ida.email, `${c.idTokenAlg}: userinfo answers for someone else`);
    }
  });
});
