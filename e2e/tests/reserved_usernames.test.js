// A reserved username in a real browser (issue 11): the sign-up form says,
// beside the username field and readable by assistive technology, that a
// name one of the co-op's services reserves cannot be had, keeps what was
// typed, and takes the person through once they pick another.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, token } from '../lib/stack.js';
import { launchBrowser, Gallery, journey, follow } from '../lib/browser.js';
import { expectHeading } from '../lib/flows.js';
import { pageProblems } from '../lib/a11y.js';

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

test('a username a service reserves is refused beside its field, and another goes through', { timeout: 120000 }, async () => {
  const person = { name: 'Webb Applicant', email: 'webb@example.coop', password: `pw ${token(12)} horse` };
  stack.secrets.add('password', person.password);
  stack.secrets.add('email address', person.email);
  await journey(browser, gallery, 'reserved-username', ['webb'], async (a) => {
    const page = a.page;
    await page.goto(stack.issuer + '/signup');
    await page.getByLabel('Your name').fill(person.name);
    await page.getByLabel('Email address').fill(person.email);
    await page.getByLabel('Username').fill('webmaster');
    await page.getByLabel('Password').fill(person.password);
    const boxes = page.getByRole('checkbox');
    for (let i = 0; i < (await boxes.count()); i++) await boxes.nth(i).check();
    await follow(page.getByRole('button', { name: 'Join' }));
    await a.snap('reserved username refused');

    const field = page.getByLabel('Username');
    assert.equal(await field.getAttribute('aria-invalid'), 'true', 'the username field is not marked invalid');
    const describedBy = (await field.getAttribute('aria-describedby')) ?? '';
    const message = await page.locator('#username-error').textContent();
    assert.ok(describedBy.split(/\s+/).includes('username-error'), `the field is not described by its message (${describedBy})`);
    assert.match(message, /reserved by one of the co-op's services/);
    assert.equal(await page.getByLabel('Email address').inputValue(), person.email, 'the email typed was lost');
    const { problems } = await page.evaluate(pageProblems);
    assert.deepEqual(problems, []);

    await field.fill('webb');
    await page.getByLabel('Password').fill(person.password);
    for (let i = 0; i < (await boxes.count()); i++) await boxes.nth(i).check();
    await follow(page.getByRole('button', { name: 'Join' }));
    await a.snap('after joining');
    await expectHeading(page, 'Check your email');
  });
});
