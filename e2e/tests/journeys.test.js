// coopgate's browser journeys (issue 6): a person in a real browser signs
// up, is admitted or approved, accepts the policies and logs in to a relying
// party; and the gateway's logs hold none of the secrets that passed by.
// The tests run in order on one gateway; each saves a screenshot of every
// page it visits under e2e/artifacts/<journey>/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, token } from '../lib/stack.js';
import { launchBrowser, Gallery, journey, follow } from '../lib/browser.js';
import {
  logInAtRP, logInAtGateway, startRPLogin, fillLogin, acceptTermsIfAsked, expectSignedInAtRP,
  signUpFromLogin, confirmEmail, expectHeading, expectText,
} from '../lib/flows.js';
import { findLeaks, describe } from '../lib/leaks.js';
import { pageProblems } from '../lib/a11y.js';
import { tabTo, acceptTermsByKeyboard } from '../lib/keyboard.js';
import { writeChangedPolicies, CHANGED } from '../lib/policies.js';
import { join } from 'node:path';

// A journey's time limit; most take under 10 s, but CI machines are small.
const JOURNEY = { timeout: 120000 };

let stack, browser, gallery;
const secretary = { email: 'secretary@example.coop', name: 'Sam Secretary', username: 'secretary', password: 'sec-' + token(12) };

// member creates an admitted member with the sysadmin's command.
async function member(username) {
  const m = { email: `${username}@example.coop`, name: `${username[0].toUpperCase()}${username.slice(1)} Member`,
    username, password: `${username}-${token(12)}` };
  await stack.createUser({ ...m, role: 'member' });
  return m;
}

// applicant is someone about to sign up; the secrets they will type are
// registered for the log check.
function applicant(username, domain) {
  const p = { email: `${username}@${domain}`, name: `${username[0].toUpperCase()}${username.slice(1)} Applicant`,
    username, password: `pw ${token(12)} horse` };
  stack.secrets.add('password', p.password);
  stack.secrets.add('email address', p.email);
  return p;
}

before(async () => {
  stack = await new Stack().start();
  browser = await launchBrowser();
  gallery = new Gallery(stack.issuer);
  await stack.createUser({ ...secretary, role: 'secretary' });
}, { timeout: 60000 });

after(async () => {
  await browser?.close();
  await stack?.stop();
});

test('a. someone on an allow-listed domain signs up and lands at the relying party signed in', JOURNEY, async () => {
  const ada = applicant('ada', 'example.coop');
  await journey(browser, gallery, 'a-signup-allowlisted', ['ada', 'ada-later'], async (a, later) => {
    await startRPLogin(a, stack);
    await signUpFromLogin(a, ada);
    await confirmEmail(a, stack, ada);
    await acceptTermsIfAsked(a);
    await expectSignedInAtRP(a, stack, ada.username);

    // Later, in another browser, the new member logs in with the password.
    await logInAtRP(later, stack, ada);
  });
});

test('a2. a member who forgot the password chooses a new one from the mailed link and logs in', JOURNEY, async () => {
  const rey = await member('rey');
  await journey(browser, gallery, 'a-password-reset', ['rey'], async (r) => {
    const page = r.page;
    await startRPLogin(r, stack);
    await page.getByRole('link', { name: 'Forgotten your password?' }).click();
    await page.waitForURL((u) => u.pathname === '/password/forgot');
    await r.snap('forgotten password');
    await page.getByLabel('Email address').fill(rey.email);
    await follow(page.getByRole('button', { name: 'Send me a link' }));
    await r.snap('after asking for a link');
    await expectHeading(page, 'Check your email');

    const mail = await stack.mail.waitFor(rey.email, /Choose a new password/);
    await page.goto(stack.linkIn(mail, '/password/reset'));
    await r.snap('reset link');
    rey.password = `new ${token(12)} pass`;
    stack.secrets.add('password', rey.password);
    await page.getByLabel('New password').fill(rey.password);
    await follow(page.getByRole('button', { name: 'Change my password' }));
    await r.snap('after changing the password');
    await expectHeading(page, 'Password changed');
    await follow(page.locator('main').getByRole('link', { name: 'Log in' }));
    await r.snap('after following log in');
    if (new URL(page.url()).pathname === '/login') await fillLogin(r, rey.email, rey.password);
    await acceptTermsIfAsked(r);
    await expectSignedInAtRP(r, stack, rey.username);
  });
});

test('b. an applicant from another domain waits, the secretary approves, the applicant logs in', JOURNEY, async () => {
  const bo = applicant('bo', 'example.org');
  await journey(browser, gallery, 'b-approval', ['bo', 'secretary'], async (b, sec) => {
    await startRPLogin(b, stack);
    await signUpFromLogin(b, bo);
    await confirmEmail(b, stack, bo);
    assert.equal(new URL(b.page.url()).pathname, '/status', 'an applicant from another domain should land on the status page');
    await expectHeading(b.page, 'Waiting for the membership secretary');
    const notice = await stack.mail.waitFor(secretary.email, new RegExp(`Membership application from ${bo.name}`));
    stack.linkIn(notice, '/admin/applications');

    await logInAtGateway(sec, stack, secretary);
    await sec.page.goto(stack.issuer + '/admin/applications');
    await sec.snap('applications');
    await follow(sec.page.getByRole('button', { name: `Approve ${bo.name}` }));
    await sec.snap('after approving');
    await expectText(sec.page.getByRole('status'), bo.name);

    const approved = await stack.mail.waitFor(bo.email, /your application is approved/);
    await b.page.goto(stack.linkIn(approved, '/'));
    await b.snap('link in the approval mail');
    await b.context.clearCookies(); // a new day, a new browser session
    await logInAtRP(b, stack, bo);
  });
});

test('c. a changed policy is accepted before the login completes', JOURNEY, async () => {
  const cy = await member('cy');
  await journey(browser, gallery, 'c-changed-policy', ['cy-before', 'cy'], async (before, cyAt) => {
    await logInAtRP(before, stack, cy); // accepts version 1 of every policy
    await stack.restartGateway({ policiesDir: writeChangedPolicies(join(stack.dir, 'policies-changed')) });

    await startRPLogin(cyAt, stack);
    await fillLogin(cyAt, cy.email, cy.password);
    const page = cyAt.page;
    assert.equal(new URL(page.url()).pathname, '/terms', 'the login was not stopped at the terms page');
    assert.deepEqual(await page.getByRole('checkbox').evaluateAll((els) => els.map((e) => e.value)),
      [`${CHANGED.id}@${CHANGED.version}`], 'the terms page should ask for the changed policy only');
    await expectText(page.locator('main'), 'You accepted version 1');
    await expectText(page.locator('pre.diff del'), CHANGED.before);
    await expectText(page.locator('pre.diff ins'), CHANGED.after);
    await acceptTermsIfAsked(cyAt);
    await expectSignedInAtRP(cyAt, stack, cy.username);
  });
});

test('d. a member whose membership ended is refused at login', JOURNEY, async () => {
  const dee = await member('dee');
  await journey(browser, gallery, 'd-membership-ended', ['dee', 'secretary'], async (d, sec) => {
    await logInAtRP(d, stack, dee);
    const codesBefore = d.codes.size;

    await logInAtGateway(sec, stack, secretary);
    await sec.page.goto(stack.issuer + '/admin/people');
    await sec.snap('people');
    await sec.page.getByLabel('Name, email or username').fill(dee.username);
    await follow(sec.page.getByLabel('Name, email or username'), 'Enter');
    await sec.snap('people found');
    await sec.page.locator('main').getByRole('link', { name: dee.name, exact: true }).click();
    await sec.page.waitForURL((u) => /^\/admin\/people\/[^/]+$/.test(u.pathname));
    await sec.snap('person');
    await sec.page.getByLabel('Reason for ending the membership').fill('Left the co-op at the end of the year.');
    await follow(sec.page.getByRole('button', { name: 'End membership' }));
    await sec.snap('after ending the membership');
    await stack.mail.waitFor(dee.email, /has ended/);

    await startRPLogin(d, stack);
    assert.equal(new URL(d.page.url()).pathname, '/login', 'ending a membership should end its sessions: expected the login form');
    await fillLogin(d, dee.email, dee.password);
    assert.equal(new URL(d.page.url()).pathname, '/status', 'a former member should be stopped at the status page');
    await expectHeading(d.page, 'Your membership has ended');
    assert.equal(d.codes.size, codesBefore, 'an authorization code was issued to a former member');
  });
});

test('e. every page has a <main>, an <h1> and labelled inputs; the login works from the keyboard', JOURNEY, async () => {
  const kim = await member('kim');
  await journey(browser, gallery, 'e-keyboard', ['kim'], async (k) => {
    const page = k.page;
    await page.goto(stack.rpURL);
    await k.snap('sample service');
    await tabTo(page, 'the relying party\'s login link', (f) => f.id === 'login');
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === '/login');
    await k.snap('login form');
    await tabTo(page, 'the email field', (f) => f.id === 'email');
    await page.keyboard.type(kim.email);
    await tabTo(page, 'the password field', (f) => f.id === 'password');
    await page.keyboard.type(kim.password);
    await tabTo(page, 'the login form\'s submit button', (f) => f.tag === 'button' && f.formAction === '/login');
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname !== '/login');
    await k.snap('after logging in by keyboard');
    await acceptTermsByKeyboard(page);
    await k.snap('after accepting by keyboard');
    await expectSignedInAtRP(k, stack, kim.username);
  });

  // The check itself must be able to fail.
  const probe = await browser.newPage();
  await probe.setContent('<html><body><div><h2>x</h2><input name="q"></div></body></html>');
  const { problems } = await probe.evaluate(pageProblems);
  await probe.close();
  assert.ok(problems.some((p) => p.includes('<main>')) && problems.some((p) => p.includes('no <h1>')) &&
    problems.some((p) => p.includes('name="q" has no label')), `the page check missed problems: ${problems}`);

  gallery.expectAccessible(['/login', '/terms', '/signup', '/verify', '/status', '/password/forgot', '/password/reset',
    '/admin/applications', '/admin/people', '/admin/people/{id}']);
});

test('f. the gateway logs hold no secrets', async (t) => {
  await stack.stopGateway(); // its log is then complete, shutdown included
  for (const code of gallery.codes) stack.secrets.add('authorization code', code);
  assert.ok(gallery.codes.size > 0, 'no authorization code passed through the browser: the journeys did not log in');
  const findings = findLeaks(stack.gatewayLog, stack.secrets.list);
  const counts = new Map();
  for (const s of stack.secrets.list) counts.set(s.kind, (counts.get(s.kind) ?? 0) + 1);
  const kinds = [...counts].map(([kind, n]) => `${n} × ${kind}`);
  t.diagnostic(`searched ${stack.gatewayLog.split('\n').length} log lines for ${stack.secrets.list.length} secrets (${kinds.join(', ')}) and any email address`);
  assert.equal(findings.length, 0, `the gateway's log holds ${findings.length} secret(s):\n${describe(findings)}`);
});
