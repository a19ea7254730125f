// Browser journeys for the browser session (issue 12): logging out at a
// service goes through coopgate's session manager, which ends the session
// and the cookie it set, in that browser only. One gateway of its own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, token } from '../lib/stack.js';
import { launchBrowser, Gallery, journey, follow } from '../lib/browser.js';
import { logInAtRP, startRPLogin, expectSignedInAtRP, expectHeading, expectText } from '../lib/flows.js';

const JOURNEY = { timeout: 180000 };
const SESSION_COOKIE = 'coopgate'; // over http; __Host-coopgate over https

let stack, browser, gallery;

before(async () => {
  stack = await new Stack().start();
  browser = await launchBrowser();
  gallery = new Gallery(stack.issuer);
}, { timeout: 60000 });

after(async () => {
  await browser?.close();
  await stack?.stop();
});

test('j. logging out at a service asks once, ends the session in that browser only, and the next login there asks for the password', JOURNEY, async () => {
  const lea = { email: 'lea@example.coop', name: 'Lea Member', username: 'lea', password: `lea-${token(12)}` };
  await stack.createUser({ ...lea, role: 'member' });
  await journey(browser, gallery, 'j-rp-logout', ['laptop', 'phone'], async (laptop, phone) => {
    await logInAtRP(laptop, stack, lea);
    await logInAtRP(phone, stack, lea);
    const sessionCookie = async (actor) => (await actor.context.cookies(stack.issuer)).find((c) => c.name === SESSION_COOKIE);
    assert.ok(await sessionCookie(laptop), 'the login set no session cookie');

    // The service's own "Log out" sends only its post-logout URI, as
    // Mastodon and GitLab do: coopgate asks before ending anything.
    await follow(laptop.page.getByRole('link', { name: 'Log out' }));
    await laptop.snap('logout confirmation');
    await expectHeading(laptop.page, 'Log out');
    await expectText(laptop.page.locator('main'), 'Sample service asked to log you out.');
    await follow(laptop.page.locator('main').getByRole('button', { name: 'Log out' }));
    await laptop.snap('back at the service');
    assert.equal(laptop.page.url(), stack.rpURL + '/', 'the confirmation did not lead back to the service');
    assert.equal(await sessionCookie(laptop), undefined, 'the browser kept the session cookie after logging out');

    await startRPLogin(laptop, stack);
    assert.equal(new URL(laptop.page.url()).pathname, '/login', `after logging out the next login went on without a password, to ${laptop.page.url()}`);

    // The phone's session is its own: it still logs in without a password.
    await startRPLogin(phone, stack);
    await expectSignedInAtRP(phone, stack, lea.username);
  });
});
