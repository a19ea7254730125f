// Browser journeys for issue 10's page side: a sign-up that can't tell
// who has an account, a lockout that can't be turned on a member, and a
// clear page for bytes the gateway can't read. One gateway of its own,
// which trusts the loopback "proxy" so that clients can come from many
// addresses (X-Forwarded-For).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'playwright-core';
import { Stack, token } from '../lib/stack.js';
import { launchBrowser, Gallery, journey, follow } from '../lib/browser.js';
import { logInAtRP, logInAtGateway, fillLogin, confirmEmail, expectHeading, expectText } from '../lib/flows.js';

const JOURNEY = { timeout: 180000 };

let stack, browser, gallery;

async function member(username) {
  const m = { email: `${username}@example.coop`, name: `${username[0].toUpperCase()}${username.slice(1)} Member`,
    username, password: `${username}-${token(12)}` };
  await stack.createUser({ ...m, role: 'member' });
  return m;
}

before(async () => {
  stack = await new Stack({ trustedProxies: ['127.0.0.1/32'] }).start();
  browser = await launchBrowser();
  gallery = new Gallery(stack.issuer);
}, { timeout: 60000 });

after(async () => {
  await browser?.close();
  await stack?.stop();
});

// signUp fills the gateway's own sign-up form (no relying party) and
// returns what the person sees, with the address typed blanked.
async function signUp(actor, person) {
  const page = actor.page;
  await page.goto(stack.issuer + '/signup');
  await actor.snap('sign-up form');
  await page.getByLabel('Your name').fill(person.name);
  await page.getByLabel('Email address').fill(person.email);
  await page.getByLabel('Username').fill(person.username);
  await page.getByLabel('Password').fill(person.password);
  const boxes = page.getByRole('checkbox');
  for (let i = 0; i < (await boxes.count()); i++) await boxes.nth(i).check();
  await follow(page.getByRole('button', { name: 'Join' }));
  await actor.snap('after joining');
  const text = (await page.locator('main').innerText()).replaceAll(person.email, 'ADDRESS');
  const cookies = (await actor.context.cookies()).map((c) => `${c.name} httpOnly=${c.httpOnly} sameSite=${c.sameSite}`).sort();
  return { text, cookies };
}

test('g. signing up with a registered address looks exactly like joining; only the newcomer\'s link leads on', JOURNEY, async () => {
  const mia = await member('mia');
  const neo = { email: `neo-${token(4).toLowerCase()}@example.org`, name: 'Neo Newcomer', username: 'neo', password: `pw ${token(12)} horse` };
  const impostor = { ...mia, username: 'mia_again', password: `pw ${token(12)} guess` };
  stack.secrets.add('password', neo.password);
  await journey(browser, gallery, 'g-signup-enumeration', ['neo', 'impostor'], async (n, imp) => {
    const fresh = await signUp(n, neo);
    const known = await signUp(imp, impostor);
    assert.equal(known.text, fresh.text, 'the answer to a registered address differs from the answer to a new one');
    assert.deepEqual(known.cookies, fresh.cookies, 'the cookies differ between a registered address and a new one');
    await expectHeading(n.page, 'Check your email');
    for (const a of [n, imp]) {
      await a.page.goto(stack.issuer + '/status');
      assert.equal(new URL(a.page.url()).pathname, '/login', 'signing up logged someone in');
    }
    await stack.mail.waitFor(mia.email, /Someone tried to sign up/);
    await confirmEmail(n, stack, neo);
    assert.equal(new URL(n.page.url()).pathname, '/status', 'the newcomer\'s link did not lead to their status page');
    await expectHeading(n.page, 'Waiting for the membership secretary');
  });
});

// guess posts the login form as a script would, from address ip.
async function guess(email, ip) {
  const api = await request.newContext({ baseURL: stack.issuer, extraHTTPHeaders: { 'X-Forwarded-For': ip } });
  try {
    const form = await (await api.get('/login')).text();
    const csrf = form.match(/name="csrf_token" value="([^"]+)"/)[1].replaceAll('&#43;', '+').replaceAll('&#61;', '=').replaceAll('&#47;', '/');
    const res = await api.post('/login', { form: { csrf_token: csrf, id: '', email, password: `guess ${ip}` }, maxRedirects: 0 });
    return res.status();
  } finally {
    await api.dispose();
  }
}

test('h. guessing a member\'s password from everywhere does not keep them out of their own browser; a reset lifts the lock', JOURNEY, async () => {
  const kai = await member('kai');
  await journey(browser, gallery, 'h-lockout', ['kai-laptop', 'kai-phone'], async (laptop, phone) => {
    await laptop.context.setExtraHTTPHeaders({ 'X-Forwarded-For': '198.51.100.7' });
    await phone.context.setExtraHTTPHeaders({ 'X-Forwarded-For': '198.51.100.8' });
    await logInAtGateway(laptop, stack, kai); // the laptop is now a known device
    await laptop.page.goto(stack.issuer + '/logout');
    await follow(laptop.page.getByRole('button', { name: 'Log out' }));

    for (let i = 0; i < 61; i++) {
      const status = await guess(kai.email, `203.0.113.${i + 1}`);
      assert.ok(status === 401 || status === 429, `guess ${i + 1} answered ${status}`);
    }
    await phone.page.goto(stack.issuer + '/login');
    await fillLogin(phone, kai.email, kai.password);
    await expectText(phone.page.getByRole('alert'), 'a completed reset lifts this at once');

    await logInAtRP(laptop, stack, kai); // the known device, through a relying party

    await phone.page.getByRole('link', { name: 'Forgotten your password?' }).click();
    await phone.page.waitForURL((u) => u.pathname === '/password/forgot');
    await phone.page.getByLabel('Email address').fill(kai.email);
    await follow(phone.page.getByRole('button', { name: 'Send me a link' }));
    const mail = await stack.mail.waitFor(kai.email, /Choose a new password/);
    await phone.page.goto(stack.linkIn(mail, '/password/reset'));
    kai.password = `new ${token(12)} pass`;
    stack.secrets.add('password', kai.password);
    await phone.page.getByLabel('New password').fill(kai.password);
    await follow(phone.page.getByRole('button', { name: 'Change my password' }));
    await phone.snap('after the reset');
    await expectText(phone.page.locator('main'), 'that lock is lifted');
    await follow(phone.page.locator('main').getByRole('link', { name: 'Log in' }));
    await fillLogin(phone, kai.email, kai.password);
    assert.notEqual(new URL(phone.page.url()).pathname, '/login', 'after a completed reset the lock still holds');
  });
});

test('i. an address the gateway cannot read gets a clear page, not an error 500', JOURNEY, async () => {
  await journey(browser, gallery, 'i-bad-bytes', ['visitor'], async (v) => {
    const res = await v.page.goto(stack.issuer + '/policies/%ff/1');
    await v.snap('policy with bad bytes');
    assert.equal(res.status(), 400);
    await expectText(v.page.locator('main'), 'not valid text');
    const big = await v.page.goto(stack.issuer + '/login?id=' + 'x'.repeat(3000));
    assert.equal(big.status(), 400, 'an over-long parameter was not refused');
  });
  const bad = gallery.pages.filter((p) => p.problems.length > 0);
  assert.equal(bad.length, 0, 'pages with accessibility problems:\n' + bad.map((p) => `  ${p.url}: ${p.problems.join('; ')}`).join('\n'));
});
