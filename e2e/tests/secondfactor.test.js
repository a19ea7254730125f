// Browser journeys for second factors (issue 13): a member adds a passkey
// and logs in with it alone; a recovery code gets a member in once and not
// twice; a secretary is sent to set up an authenticator app before the admin
// pages open, then logs in with a code and resets a member's factors; every
// new page passes the accessibility checks; and the gateway's log holds no
// TOTP secret, recovery code or WebAuthn challenge.
//
// The gateway's issuer is http://localhost:<port>: passkeys need a domain
// name as their relying party ID, and Chromium counts localhost as secure.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, token } from '../lib/stack.js';
import { launchBrowser, Gallery, journey, follow } from '../lib/browser.js';
import {
  logInAtRP, logInAtGateway, startRPLogin, fillLogin, acceptTermsIfAsked, expectSignedInAtRP, expectHeading, expectText,
} from '../lib/flows.js';
import { findLeaks, describe } from '../lib/leaks.js';
import { tabTo } from '../lib/keyboard.js';
import { setUpAuthenticatorApp, keepRecoveryCodes as keepCodes, nextCode } from '../lib/secondfactor.js';
import { addVirtualAuthenticator, keepChallenges } from '../lib/passkeys.js';

const JOURNEY = { timeout: 180000 };
const FACTOR_MAIL = /Your second factors at .* changed/;

let stack, browser, gallery;
const challenges = [];
const recoveryCodes = [];
const totpSecrets = [];

// keepRecoveryCodes keeps the codes shown once, and counts them for the log check.
async function keepRecoveryCodes(actor) {
  const codes = await keepCodes(actor, stack);
  recoveryCodes.push(...codes);
  return codes;
}

// setUpApp sets up an authenticator app, and counts its key for the log check.
async function setUpApp(actor) {
  const app = await setUpAuthenticatorApp(actor, stack);
  totpSecrets.push(app.secret);
  return app;
}

// logInWithPassword logs in at the gateway and stops where the password leads.
async function logInWithPassword(actor, person) {
  await actor.page.goto(stack.issuer + '/login');
  await actor.snap('gateway login');
  await fillLogin(actor, person.email, person.password);
}

async function person(username, role = 'member') {
  const p = { email: `${username}@example.coop`, name: `${username[0].toUpperCase()}${username.slice(1)} ${role === 'member' ? 'Member' : 'Secretary'}`,
    username, password: `${username}-${token(12)}` };
  await stack.createUser({ ...p, role });
  return p;
}

before(async () => {
  stack = await new Stack({ host: 'localhost' }).start();
  browser = await launchBrowser();
  gallery = new Gallery(stack.issuer);
}, { timeout: 60000 });

after(async () => {
  await browser?.close();
  await stack?.stop();
});

// openFactors goes from the account page to the person's second factors.
async function openFactors(actor) {
  await actor.page.goto(stack.issuer + '/account');
  await actor.snap('account');
  await follow(actor.page.getByRole('link', { name: 'Your passkeys, authenticator app and recovery codes' }));
  await actor.snap('second factor');
  await expectHeading(actor.page, 'Second factor');
}

test('p. a member adds a passkey at /account and logs in to the service with it, no password', JOURNEY, async () => {
  const pia = await person('pia');
  await journey(browser, gallery, 'p-passkey', ['pia'], async (p) => {
    const authenticator = await addVirtualAuthenticator(p);
    keepChallenges(p, stack.secrets, challenges);
    await logInAtGateway(p, stack, pia);
    await openFactors(p);
    await expectText(p.page.locator('main'), 'No passkey yet.');

    await p.page.getByLabel('Name of the new passkey').fill('Work laptop');
    await follow(p.page.getByRole('button', { name: 'Add a passkey' }));
    await p.snap('after adding a passkey');
    await keepRecoveryCodes(p); // with a first factor
    await expectHeading(p.page, 'Second factor');
    await expectText(p.page.locator('main table'), 'Work laptop');
    const creds = await authenticator.credentials();
    assert.equal(creds.length, 1, 'the authenticator holds no credential');
    assert.ok(creds[0].isResidentCredential, 'the passkey is not discoverable: it could not log in without an email');
    await stack.mail.waitFor(pia.email, FACTOR_MAIL);

    // A new browser session: the passkey alone, no email and no password.
    await p.context.clearCookies();
    await startRPLogin(p, stack);
    assert.equal(new URL(p.page.url()).pathname, '/login');
    await follow(p.page.getByRole('button', { name: 'Log in with a passkey' }));
    await p.snap('after logging in with the passkey');
    await acceptTermsIfAsked(p);
    await expectSignedInAtRP(p, stack, pia.username);
    assert.ok(challenges.length >= 2, `saw ${challenges.length} passkey ceremonies; want one to add, one to log in`);

    await openFactors(p); // the passkey login counts as both factors: no step-up here
    assert.notEqual(await p.page.locator('main table tbody td').nth(2).textContent(), 'never', 'the passkey shows no last use');
  });
});

let rob; // a member whose factors the secretary resets in journey q

test('r. a member sets up an authenticator app; a recovery code gets them in once and not twice', JOURNEY, async () => {
  rob = await person('rob');
  await journey(browser, gallery, 'r-recovery-code', ['rob', 'rob-phone-lost', 'rob-again'], async (r, lost, again) => {
    await logInAtGateway(r, stack, rob);
    await openFactors(r);
    await follow(r.page.getByRole('link', { name: 'Set up an authenticator app' }));
    await r.snap('authenticator app');
    await setUpApp(r);
    const codes = await keepRecoveryCodes(r);
    await stack.mail.waitFor(rob.email, FACTOR_MAIL);

    // The phone is lost: the password, then a recovery code, all from the keyboard.
    const page = lost.page;
    await startRPLogin(lost, stack);
    await fillLogin(lost, rob.email, rob.password);
    await expectHeading(page, 'Your second factor');
    await tabTo(page, 'the recovery codes', (f) => f.tag === 'summary');
    await page.keyboard.press('Enter');
    await tabTo(page, 'the recovery code field', (f) => f.id === 'recovery_code');
    await page.keyboard.type(codes[0].toUpperCase().replaceAll('-', ' ')); // as read out from paper
    await tabTo(page, 'the recovery code\'s button', (f) => f.tag === 'button' && f.formAction === '/login/second-factor/recovery');
    const committed = page.waitForEvent('framenavigated', { predicate: (fr) => fr === page.mainFrame() });
    await page.keyboard.press('Enter');
    await committed;
    await lost.snap('after the recovery code');
    await expectSignedInAtRP(lost, stack, rob.username);
    const used = await stack.mail.waitFor(rob.email, FACTOR_MAIL);
    assert.match(used.text, /A recovery code was used to log in to your account\. 9 are left\./);

    // The same code does not work twice.
    await startRPLogin(again, stack);
    await fillLogin(again, rob.email, rob.password);
    await again.page.getByText('Use a recovery code instead').click();
    await again.page.getByLabel('Recovery code').fill(codes[0]);
    await follow(again.page.getByRole('button', { name: 'Use this recovery code' }));
    await again.snap('the same recovery code again');
    assert.equal(new URL(again.page.url()).pathname, '/login/second-factor/recovery', 'a spent recovery code let the person on');
    await expectText(again.page.locator('#recovery-error'), 'it has been used already');
    assert.equal(again.codes.size, 0, 'an authorization code was issued after a spent recovery code');
  });
});

test('q. a secretary is sent to set up an authenticator app before the admin pages open, then logs in with its codes', JOURNEY, async () => {
  const sue = await person('sue', 'secretary');
  await journey(browser, gallery, 'q-secretary-totp', ['sue-first', 'sue', 'sue-at-service', 'rob'], async (first, s, atService, r) => {
    // The first login: one grace, which leaves the admin pages closed.
    await logInWithPassword(first, sue);
    assert.equal(new URL(first.page.url()).pathname, '/login/second-factor/setup', `the secretary was not sent to set up a second factor, at ${first.page.url()}`);
    await expectText(first.page.locator('main'), 'Your role in the co-op needs a second factor.');
    await follow(first.page.getByRole('button', { name: 'Not now, just this once' }));
    await first.snap('after skipping');
    await acceptTermsIfAsked(first);
    await first.page.goto(stack.issuer + '/admin/applications');
    await first.snap('admin pages without a second factor');
    assert.equal(new URL(first.page.url()).pathname, '/login/second-factor/setup', `the admin pages opened without a second factor, at ${first.page.url()}`);
    assert.equal(await first.page.getByRole('button', { name: 'Not now, just this once' }).count(), 0, 'the grace was offered twice');

    // The next login: set up first, no skipping.
    await logInWithPassword(s, sue);
    assert.equal(new URL(s.page.url()).pathname, '/login/second-factor/setup');
    await s.snap('set up, no grace left');
    assert.equal(await s.page.getByRole('button', { name: 'Not now, just this once' }).count(), 0, 'the grace was offered at the second login');
    await follow(s.page.getByRole('link', { name: 'Set up an authenticator app' }));
    await s.snap('authenticator app');
    const app = await setUpApp(s);
    await keepRecoveryCodes(s);
    await acceptTermsIfAsked(s);
    await s.page.goto(stack.issuer + '/admin/applications');
    await s.snap('admin pages with a second factor');
    assert.equal(new URL(s.page.url()).pathname, '/admin/applications', `the admin pages stayed closed after setting up, at ${s.page.url()}`);
    await expectHeading(s.page, 'Applications');

    // The secretary resets the factors of rob, who lost phone and codes.
    await s.page.goto(stack.issuer + '/admin/people');
    await s.page.getByLabel('Name, email or username').fill(rob.username);
    await follow(s.page.getByLabel('Name, email or username'), 'Enter');
    await s.page.locator('main').getByRole('link', { name: rob.name, exact: true }).click();
    await s.page.waitForURL((u) => /^\/admin\/people\/[^/]+$/.test(u.pathname));
    await s.snap('rob');
    await follow(s.page.getByRole('button', { name: 'Reset their second factors' }));
    await s.snap('after the reset');
    await expectText(s.page.locator('main'), 'None set up.');
    const told = await stack.mail.waitFor(rob.email, FACTOR_MAIL);
    assert.match(told.text, /membership secretary reset your second factors/);
    await logInAtRP(r, stack, rob); // the password alone again

    // At a service: the password, then a code from the app, by keyboard.
    // The code used to set the app up is refused (a code works once).
    const page = atService.page;
    await startRPLogin(atService, stack);
    await fillLogin(atService, sue.email, sue.password);
    await expectHeading(page, 'Your second factor');
    await page.getByLabel('Code from your authenticator app').fill(app.firstCode);
    await follow(page.getByRole('button', { name: 'Continue' }));
    await atService.snap('a used code');
    await expectText(page.locator('#code-error'), 'That code');
    await tabTo(page, 'the code field', (f) => f.id === 'code');
    await page.keyboard.type(await nextCode(app));
    await tabTo(page, 'the code\'s button', (f) => f.tag === 'button' && f.formAction === '/login/second-factor');
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname !== '/login/second-factor');
    await atService.snap('after the code');
    await acceptTermsIfAsked(atService);
    await expectSignedInAtRP(atService, stack, sue.username);
  });
});

test('s. every second-factor page has a <main>, an <h1> and labelled inputs', JOURNEY, async () => {
  gallery.expectAccessible(['/account/second-factor', '/account/totp', '/account/passkeys', '/login/second-factor',
    '/login/second-factor/setup', '/login/second-factor/recovery', '/admin/people/{id}']);
});

test('t. the gateway log holds no TOTP secret, recovery code or WebAuthn challenge', async (t) => {
  await stack.stopGateway();
  assert.ok(totpSecrets.length >= 2 && recoveryCodes.length >= 30 && challenges.length >= 2,
    `the journeys gave too little to look for: ${totpSecrets.length} TOTP secrets, ${recoveryCodes.length} recovery codes, ${challenges.length} challenges`);
  for (const code of gallery.codes) stack.secrets.add('authorization code', code);
  const findings = findLeaks(stack.gatewayLog, stack.secrets.list);
  t.diagnostic(`searched ${stack.gatewayLog.split('\n').length} log lines for ${stack.secrets.list.length} secrets`);
  assert.equal(findings.length, 0, `the gateway's log holds ${findings.length} secret(s):\n${describe(findings)}`);
});
