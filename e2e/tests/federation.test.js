// Browser journeys for federation decisions (issue 14): a member proposes
// blocking a server for spam, a moderator accepts it with the Loomio thread,
// the public list shows it with its ground, and the co-op's Mastodon (the
// fake, spoken to through its admin API) ends with the block; then a block
// made directly on Mastodon shows up on the moderators' page as not decided
// here. One gateway of its own, with its own Mastodon.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, token, sleep } from '../lib/stack.js';
import { FakeMastodon } from '../lib/fakemastodon.js';
import { launchBrowser, Gallery, journey, follow } from '../lib/browser.js';
import { logInAtGateway, expectHeading, expectText } from '../lib/flows.js';
import { findLeaks, describe } from '../lib/leaks.js';

const JOURNEY = { timeout: 180000 };
const LOOMIO = 'https://loomio.example.coop/d/Xy12ab/block-spam-example';

let stack, mastodon, browser, gallery;
const ann = { email: 'ann@example.coop', name: 'Ann Member', username: 'ann', password: `ann-${token(12)}` };
const mo = { email: 'mo@example.coop', name: 'Mo Moderator', username: 'mo', password: `mo-${token(12)}` };

before(async () => {
  mastodon = await new FakeMastodon().start();
  stack = await new Stack({ mastodon }).start();
  browser = await launchBrowser();
  gallery = new Gallery(stack.issuer);
  await stack.createUser({ ...ann, role: 'member' });
  await stack.createUser({ ...mo, role: 'moderator' }); // the sysadmin's `users create --role moderator`
}, { timeout: 60000 });

after(async () => {
  await browser?.close();
  await stack?.stop();
  mastodon?.stop();
});

// until polls check (which returns a value, or nothing yet) for up to 30 s.
async function until(what, check) {
  const deadline = Date.now() + 30000;
  let last;
  while (Date.now() < deadline) {
    last = await check();
    if (last?.ok) return last.value;
    await sleep(250);
  }
  throw new Error(`${what}: gave up after 30 s; last saw ${JSON.stringify(last?.saw)}`);
}

test('k. a member proposes a block for spam, a moderator accepts it with the Loomio thread, it is published and Mastodon blocks the server', JOURNEY, async () => {
  await journey(browser, gallery, 'k-federation-proposal', ['ann', 'mo', 'public'], async (a, m, pub) => {
    await logInAtGateway(a, stack, ann);
    await a.page.goto(stack.issuer + '/federation');
    await a.snap('the published list');
    await follow(a.page.getByRole('link', { name: 'Propose a block' }));
    await a.snap('the proposal form');
    await a.page.getByLabel("Server's domain").fill('Spam.Example');
    await a.page.getByRole('radio', { name: /^Spam\b/ }).check();
    await a.page.getByLabel('Links to what you saw').fill('https://spam.example/@bot/1');
    await a.page.getByLabel('What you saw, and why it should be blocked').fill('Hundreds of bot replies advertising pills.');
    await follow(a.page.getByRole('button', { name: 'Send to the moderators' }));
    await a.snap('after proposing');
    await expectText(a.page.getByRole('status'), 'your proposal is with the moderators');
    await expectText(a.page.getByRole('row'), 'spam.example');

    await logInAtGateway(m, stack, mo);
    await follow(m.page.getByRole('navigation').getByRole('link', { name: 'Moderation' }));
    await m.snap('the moderators desk');
    await expectHeading(m.page, 'Federation decisions: moderation');
    await follow(m.page.getByRole('link', { name: 'spam.example' }));
    await m.snap('the proposal');
    await expectText(m.page.locator('main'), 'Hundreds of bot replies advertising pills.');
    assert.ok(await m.page.getByRole('radio', { name: /^Spam\b/ }).isChecked(), "the member's ground is not preselected");
    assert.ok(await m.page.getByRole('radio', { name: /^suspend\b/ }).isChecked(), 'suspend is not preselected');
    await m.page.getByLabel('Public reason').fill('Spam bots flooding our members');
    await m.page.getByLabel('Where it was decided').fill(LOOMIO);
    await follow(m.page.getByRole('button', { name: 'Accept and block' }));
    await m.snap('after accepting');
    await expectText(m.page.getByRole('status'), 'The proposal to block spam.example is accepted');

    // Anyone, logged in or not, reads the decision, its ground and where it was made.
    await pub.page.goto(stack.issuer + '/federation');
    await pub.snap('the published list');
    const row = pub.page.getByRole('row').filter({ hasText: 'spam.example' });
    await expectText(row, 'suspend');
    await expectText(row, 'Spam');
    await expectText(row, 'Spam bots flooding our members');
    assert.equal(await row.getByRole('link', { name: 'the discussion' }).getAttribute('href'), LOOMIO);
    await follow(row.getByRole('link', { name: 'spam.example' }));
    await pub.snap('the domain history');
    await expectText(pub.page.locator('main'), 'Spam bots flooding our members');

    // Mastodon ends with the block, in its own API's words.
    const block = await until("spam.example on Mastodon", async () => {
      const blocks = await mastodon.blocks();
      const b = blocks.find((x) => x.domain === 'spam.example');
      return { ok: !!b, value: b, saw: blocks };
    });
    assert.equal(block.severity, 'suspend');
    assert.equal(block.public_comment, 'Spam bots flooding our members');

    const mail = await stack.mail.waitFor(ann.email, /Your proposal is accepted: spam\.example is blocked/);
    assert.ok(mail.text.includes(LOOMIO), `the mail does not name the thread:\n${mail.text}`);
  });
});

test('l. a block made directly on Mastodon shows on the moderators page as not decided here, and is never lifted by coopgate', JOURNEY, async () => {
  await mastodon.block({ domain: 'drift.example', severity: 'silence', public_comment: "Made in Mastodon's admin" });
  await journey(browser, gallery, 'l-federation-drift', ['mo'], async (m) => {
    await logInAtGateway(m, stack, mo);
    await m.page.goto(stack.issuer + '/moderation/federation');
    await follow(m.page.getByRole('button', { name: 'Compare with Mastodon now' }));
    await m.snap('comparing');
    await expectText(m.page.getByRole('status'), "Mastodon's list is being read now");
    const adopt = m.page.getByRole('link', { name: 'Adopt or lift drift.example' });
    await until('drift.example on the desk', async () => {
      await m.page.reload();
      const n = await adopt.count();
      return { ok: n === 1, saw: await m.page.locator('#mastodon').locator('..').textContent() };
    });
    await m.snap('drift on the desk');
    const row = m.page.getByRole('row').filter({ hasText: 'drift.example' });
    await expectText(row, 'silence');
    await expectText(row, "Made in Mastodon's admin");
    // spam.example was decided here, so it is not drift.
    assert.equal(await m.page.getByRole('link', { name: 'Adopt or lift spam.example' }).count(), 0);
  });
  const blocks = await mastodon.blocks();
  assert.ok(blocks.some((b) => b.domain === 'drift.example'), 'coopgate removed the block made on Mastodon');
});

test('m. the gateway log holds no secrets, the Mastodon token included', async () => {
  await stack.stopGateway();
  const findings = findLeaks(stack.gatewayLog, stack.secrets.list);
  assert.equal(findings.length, 0, `the gateway's log holds ${findings.length} secret(s):\n${describe(findings)}`);
  const bad = gallery.pages.filter((p) => p.problems.length > 0);
  assert.equal(bad.length, 0, 'pages with accessibility problems:\n' +
    bad.map((p) => `  ${p.journey}/${p.actor} ${p.url}: ${p.problems.join('; ')}`).join('\n'));
});
