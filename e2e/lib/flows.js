// Steps that several journeys take, done as a person would: through labels,
// roles and the ids the pages promise, never through the gateway's internals.
import assert from 'node:assert/strict';
import { follow } from './browser.js';
import { secondFactorIfAsked } from './secondfactor.js';

// startRPLogin opens the sample relying party and follows its login link.
export async function startRPLogin(actor, stack) {
  const page = actor.page;
  await page.goto(stack.rpURL);
  await actor.snap('sample service');
  await follow(page.locator('#login'));
  return actor.snap('after log in with the co-op');
}

// fillLogin submits the gateway's login form.
export async function fillLogin(actor, email, password) {
  const page = actor.page;
  assert.equal(new URL(page.url()).pathname, '/login', `expected the login form, at ${page.url()}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await follow(page.getByRole('button', { name: 'Log in', exact: true })); // not "Log in with a passkey"
  return actor.snap('after submitting the login form');
}

// acceptTermsIfAsked ticks every policy on the terms page, if the gateway
// shows it, and accepts.
export async function acceptTermsIfAsked(actor) {
  const page = actor.page;
  if (new URL(page.url()).pathname !== '/terms') return;
  const boxes = page.getByRole('checkbox');
  for (let i = 0; i < (await boxes.count()); i++) await boxes.nth(i).check();
  await follow(page.getByRole('button', { name: 'Accept and continue' }));
  await actor.snap('after accepting the policies');
}

// expectSignedInAtRP checks the person landed back at the relying party,
// signed in as username.
export async function expectSignedInAtRP(actor, stack, username) {
  const page = actor.page;
  assert.ok(page.url().startsWith(stack.rpURL + '/callback'), `expected the relying party's callback, at ${page.url()}`);
  const text = await page.locator('#signed-in').textContent({ timeout: 5000 }).catch(async () => {
    const error = await page.locator('#error').textContent().catch(() => '(no error shown)');
    throw new Error(`the relying party shows no signed-in person; it says: ${error}`);
  });
  assert.match(text, new RegExp(`Signed in as ${username}\\b`));
}

// logInAtRP is the whole login of an admitted member at the relying party.
export async function logInAtRP(actor, stack, person) {
  await startRPLogin(actor, stack);
  if (new URL(actor.page.url()).pathname === '/login') await fillLogin(actor, person.email, person.password);
  await secondFactorIfAsked(actor, stack, person);
  await acceptTermsIfAsked(actor);
  await expectSignedInAtRP(actor, stack, person.username);
}

// logInAtGateway logs in at the gateway itself (no relying party), as the
// secretary does before the admin pages. A secretary needs a second factor:
// at their first login they set up an authenticator app, which later
// logins ask a code of.
export async function logInAtGateway(actor, stack, person) {
  await actor.page.goto(stack.issuer + '/login');
  await actor.snap('gateway login');
  await fillLogin(actor, person.email, person.password);
  await secondFactorIfAsked(actor, stack, person);
  await acceptTermsIfAsked(actor);
}

// signUpFromLogin follows the login form's "Join" link and fills the sign-up
// form, accepting every policy it lists.
export async function signUpFromLogin(actor, person) {
  const page = actor.page;
  await page.locator('main').getByRole('link', { name: /^Join / }).click();
  await page.waitForURL((u) => u.pathname === '/signup');
  await actor.snap('sign-up form');
  await page.getByLabel('Your name').fill(person.name);
  await page.getByLabel('Email address').fill(person.email);
  await page.getByLabel('Username').fill(person.username);
  await page.getByLabel('Password').fill(person.password);
  const boxes = page.getByRole('checkbox');
  for (let i = 0; i < (await boxes.count()); i++) await boxes.nth(i).check();
  await follow(page.getByRole('button', { name: 'Join' }));
  await actor.snap('after joining');
  await expectHeading(page, 'Check your email');
}

// confirmEmail opens the verification link mailed to person and confirms.
export async function confirmEmail(actor, stack, person) {
  const mail = await stack.mail.waitFor(person.email, /Confirm your email address/);
  const link = stack.linkIn(mail, '/verify');
  await actor.page.goto(link);
  await actor.snap('verification link');
  await follow(actor.page.getByRole('button', { name: 'Confirm my email address' }));
  return actor.snap('after confirming');
}

export async function expectHeading(page, text) {
  const headings = await page.getByRole('heading').allTextContents();
  assert.ok(headings.some((h) => h.trim() === text), `expected a heading "${text}" at ${page.url()}; headings: ${JSON.stringify(headings)}`);
}

export async function expectText(locator, text) {
  const all = await locator.allTextContents();
  assert.ok(all.some((t) => t.includes(text)), `expected "${text}" in ${locator}; found ${JSON.stringify(all)}`);
}
