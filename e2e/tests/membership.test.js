// Browser journeys for membership that keeps itself true (issue 15): the
// register drives access, with the secretary confirming every ending; and
// a member adds a second email address. One gateway of its own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, token } from '../lib/stack.js';
import { launchBrowser, Gallery, journey, follow } from '../lib/browser.js';
import {
  startRPLogin, signUpFromLogin, confirmEmail, acceptTermsIfAsked, expectSignedInAtRP,
  logInAtGateway, expectHeading, expectText,
} from '../lib/flows.js';

const JOURNEY = { timeout: 180000 };

let stack, browser, gallery;
const secretary = { email: 'secretary@example.coop', name: 'Sam Secretary', username: 'secretary', password: 'sec-' + token(12) };

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

// uploadRegister uploads a register file on the import page and confirms
// the preview, as the secretary does.
async function uploadRegister(sec, name, csv) {
  const page = sec.page;
  await page.goto(stack.issuer + '/admin/register/import');
  await sec.snap('import page');
  await page.getByLabel('CSV file').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await follow(page.getByRole('button', { name: 'Preview import' }));
  await sec.snap('preview');
  await expectHeading(page, 'Import the member register');
  await follow(page.getByRole('button', { name: 'Confirm import' }));
  await sec.snap('after confirming the import');
}

// expectStillSignedInAtRP checks that the service's later request (its
// /me page asks coopgate's userinfo again with the member's access token)
// still shows the member signed in.
async function expectStillSignedInAtRP(actor, username) {
  const page = actor.page;
  assert.equal(new URL(page.url()).pathname, '/me', `expected the service's /me page, at ${page.url()}`);
  if (await page.locator('#error').count() > 0) {
    assert.fail(`the service refused ${username} before the secretary confirmed anything: ${await page.locator('#error').textContent()}`);
  }
  assert.match(await page.locator('#signed-in').textContent(), new RegExp(`Signed in as ${username}\\b`));
}

function day(offset) {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + offset);
  return d.toISOString().slice(0, 10);
}

test('m1. a member the register admitted ceases on the register; the secretary confirms, and the service refuses them', JOURNEY, async () => {
  const mia = { email: 'mia@elsewhere.org', name: 'Mia Member', username: 'mia', password: `pw ${token(12)} mia` };
  stack.secrets.add('password', mia.password);
  stack.secrets.add('email address', mia.email);
  await journey(browser, gallery, 'm1-register-ending', ['secretary', 'mia'], async (sec, m) => {
    await logInAtGateway(sec, stack, secretary);
    await uploadRegister(sec, 'register.csv', `membership_number,name,emails,class\nM-17,Mia Member,${mia.email},worker\n`);
    await expectText(sec.page.locator('main'), 'Imported: 1 added');

    // Mia signs up at the service with the address the register has, and is admitted by it.
    await startRPLogin(m, stack);
    await signUpFromLogin(m, mia);
    await confirmEmail(m, stack, mia);
    await acceptTermsIfAsked(m);
    await expectSignedInAtRP(m, stack, mia.username);

    // The register says Mia ceased yesterday: nothing ends until the secretary confirms.
    await uploadRegister(sec, 'register.csv',
      `membership_number,name,emails,class,ceased_on,ceased_reason\nM-17,Mia Member,${mia.email},worker,${day(-1)},resigned\n`);
    await expectText(sec.page.locator('main'), '1 membership change waits for you to confirm');
    await follow(m.page.locator('#refresh'));
    await m.snap('service before the secretary confirms');
    await expectStillSignedInAtRP(m, mia.username);

    await sec.page.goto(stack.issuer + '/admin');
    await sec.snap('dashboard');
    await follow(sec.page.getByRole('link', { name: 'Membership changes to confirm' }).first());
    await sec.snap('changes to confirm');
    await expectHeading(sec.page, 'Membership changes to confirm');
    await expectText(sec.page.locator('main'), 'import of register.csv');
    await follow(sec.page.getByRole('button', { name: "End Mia Member's membership" }));
    await sec.snap('after confirming');
    await expectText(sec.page.locator('main'), 'Nothing is waiting.');
    await stack.mail.waitFor(mia.email, /has ended/);
    await sec.page.goto(stack.issuer + '/admin/membership/dues');
    await sec.snap('dues lists');
    await expectHeading(sec.page, 'Dues');

    // Mia's next request at the service fails: her token was revoked.
    await m.page.goto(stack.rpURL + '/me');
    await m.snap('service after the ending');
    const error = await m.page.locator('#error').textContent();
    assert.match(error, /userinfo/, `the service should be refused at userinfo, it says: ${error}`);
    assert.equal(await m.page.locator('#signed-in').count(), 0, 'the service still shows Mia signed in');
    // And logging in again is refused too.
    await startRPLogin(m, stack);
    assert.equal(new URL(m.page.url()).pathname, '/login', 'ending the membership should end her session');
  });
});

test('m2. a member adds a second email address, confirms it from the mail, and sees both on their account', JOURNEY, async () => {
  const noor = { email: 'noor@example.coop', name: 'Noor Member', username: 'noor', password: `noor-${token(12)}` };
  await stack.createUser({ ...noor, role: 'member' });
  const second = 'noor.at.work@elsewhere.org';
  stack.secrets.add('email address', second);
  await journey(browser, gallery, 'm2-second-email', ['noor'], async (n) => {
    const page = n.page;
    await logInAtGateway(n, stack, noor);
    await page.goto(stack.issuer + '/account');
    await n.snap('account');
    await expectHeading(page, 'Your membership');
    await follow(page.getByRole('link', { name: 'Add or remove an address' }));
    await n.snap('email addresses');
    await page.getByLabel('Email address to add').fill(second);
    await follow(page.getByRole('button', { name: 'Send a confirmation link' }));
    await n.snap('after asking');
    await expectText(page.locator('main'), `We sent a link to ${second}`);

    const mail = await stack.mail.waitFor(second, /Confirm/);
    await page.goto(stack.linkIn(mail, '/account/emails/confirm'));
    await n.snap('confirmation link');
    await follow(page.getByRole('button', { name: 'Add this address' }));
    await n.snap('after confirming');
    await expectHeading(page, 'Email address added');

    await follow(page.getByRole('link', { name: 'Back to your account' }));
    await n.snap('account with both addresses');
    const listed = (await page.locator('#email-addresses li').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
    assert.ok(listed.some((t) => t.startsWith(noor.email)) && listed.some((t) => t.startsWith(second)),
      `/account should list both addresses; it lists ${JSON.stringify(listed)}`);
  });
});

test('m3. the new pages have a <main>, an <h1> and labelled inputs', async () => {
  const paths = new Set(gallery.pages.map((p) => new URL(p.url).pathname));
  for (const want of ['/admin', '/admin/register/import', '/admin/membership/changes', '/admin/membership/dues', '/account', '/account/emails', '/account/emails/confirm']) {
    assert.ok(paths.has(want), `no journey checked ${want}; checked ${[...paths]}`);
  }
  const bad = gallery.pages.filter((p) => p.problems.length > 0);
  assert.equal(bad.length, 0, 'pages with accessibility problems:\n' + bad.map((p) => `  ${p.journey}/${p.actor} ${p.url}: ${p.problems.join('; ')}`).join('\n'));
});
