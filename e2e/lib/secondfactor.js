// Second factors as a person meets them in a login: setting up an
// authenticator app (the journeys' app is lib/totp.js, fed the key shown on
// the page), keeping the recovery codes shown once, and typing a code when
// the login asks. What the pages show once is kept as secrets for the log
// check.
import assert from 'node:assert/strict';
import { follow } from './browser.js';
import { expectHeading } from './flows.js';
import { totp, STEP_MS } from './totp.js';
import { sleep } from './stack.js';

// setUpAuthenticatorApp types the code an app computes from the key on the
// set-up page (the QR code is an image rendered by the server), and
// returns the app: its key, the code used and the last time step used.
export async function setUpAuthenticatorApp(actor, stack) {
  const page = actor.page;
  await expectHeading(page, 'Set up an authenticator app');
  const qr = await page.locator('img.qr').getAttribute('src');
  assert.ok(qr.startsWith('data:image/png;base64,'), 'the QR code is not an image rendered by the server');
  const shown = (await page.locator('#totp-secret').textContent()).trim();
  const app = { secret: shown.replaceAll(' ', ''), lastStep: Math.floor(Date.now() / STEP_MS) };
  stack.secrets.add('TOTP secret', app.secret);
  stack.secrets.add('TOTP secret', shown);
  app.firstCode = totp(app.secret, app.lastStep * STEP_MS);
  await page.getByLabel('Code from the app').fill(app.firstCode);
  await follow(page.getByRole('button', { name: 'Confirm' }));
  await actor.snap('after confirming the app');
  return app;
}

// nextCode is a code of app that no login used yet: a code works once, and
// coopgate takes the next step's early (a phone's clock may run ahead), so
// it waits only when that one is spent too.
export async function nextCode(app) {
  for (;;) {
    const now = Math.floor(Date.now() / STEP_MS);
    const step = Math.max(now, app.lastStep + 1);
    if (step <= now + 1) {
      app.lastStep = step;
      return totp(app.secret, step * STEP_MS);
    }
    await sleep(1000);
  }
}

// keepRecoveryCodes reads the ten codes shown once, keeps them as secrets,
// and goes on.
export async function keepRecoveryCodes(actor, stack) {
  const page = actor.page;
  await expectHeading(page, 'Your recovery codes');
  const codes = await page.locator('#recovery-codes code').allTextContents();
  assert.equal(codes.length, 10, `expected ten recovery codes, got ${JSON.stringify(codes)}`);
  for (const c of codes) {
    stack.secrets.add('recovery code', c);
    stack.secrets.add('recovery code', c.replaceAll('-', ''));
  }
  await follow(page.getByRole('link', { name: 'I have kept them: continue' }));
  await actor.snap('after keeping the codes');
  return codes;
}

// secondFactorIfAsked answers the login's second-factor step, if it shows
// one: person types a code of their app (person.app), or, sent to set one
// up (their role needs one), sets up an authenticator app and keeps it.
export async function secondFactorIfAsked(actor, stack, person) {
  const page = actor.page;
  const path = new URL(page.url()).pathname;
  if (path === '/login/second-factor/setup') {
    await follow(page.getByRole('link', { name: 'Set up an authenticator app' }));
    await actor.snap('authenticator app');
    person.app = await setUpAuthenticatorApp(actor, stack);
    person.recoveryCodes = await keepRecoveryCodes(actor, stack);
  } else if (path === '/login/second-factor' && person.app) {
    await page.getByLabel('Code from your authenticator app').fill(await nextCode(person.app));
    await follow(page.getByRole('button', { name: 'Continue' }));
    await actor.snap('after the code');
  }
}
