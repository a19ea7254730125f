// The browser: Debian's Chromium driven by playwright-core (no browser
// download). Each person in a journey is an Actor with a browser context of
// their own (their own cookies), and every page they see is saved as a
// screenshot and checked for the accessibility basics.
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS } from './stack.js';
import { pageProblems } from './a11y.js';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// launchBrowser starts headless Chromium. Playwright gives it a fresh
// temporary --user-data-dir of its own and removes it at close. The
// background-networking flags keep Chromium from calling out, which this
// machine's closed network would refuse.
export function launchBrowser() {
  const args = ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions'];
  if (process.getuid?.() === 0) args.push('--no-sandbox'); // Chromium's sandbox refuses to run as root
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args, timeout: 30000 });
}

// Gallery collects what every journey saw: screenshots on disk and, for
// each gateway page, the accessibility problems found.
export class Gallery {
  pages = []; // { journey, actor, url, title, problems }
  codes = new Set(); // authorization codes seen in any URL

  constructor(issuer) {
    this.issuer = issuer;
  }

  // expectAccessible fails unless the journeys saw every path in required
  // ({id} standing for an id in it) and no gateway page had a problem.
  expectAccessible(required) {
    const paths = new Set(this.pages.map((p) => new URL(p.url).pathname.replace(/\/[0-9a-f-]{36}(?=\/|$)/, '/{id}')));
    for (const want of required) assert.ok(paths.has(want), `no journey checked ${want}; checked ${[...paths]}`);
    const bad = this.pages.filter((p) => p.problems.length > 0);
    assert.equal(bad.length, 0, 'pages with accessibility problems:\n' +
      bad.map((p) => `  ${p.journey}/${p.actor} ${p.url}: ${p.problems.join('; ')}`).join('\n'));
  }
}

// Actor is one person at one browser.
export class Actor {
  static async create(browser, gallery, journey, name, counter) {
    const a = new Actor();
    a.name = name;
    a.journey = journey;
    a.counter = counter; // shared by the journey's actors, so files sort in the order seen
    a.gallery = gallery;
    a.dir = join(ARTIFACTS, journey);
    mkdirSync(a.dir, { recursive: true });
    a.codes = new Set();
    a.context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
    a.context.setDefaultTimeout(15000); // generous: CI machines have 2 cores
    a.context.on('request', (req) => a.#noteCode(req.url()));
    a.page = await a.context.newPage();
    return a;
  }

  // The authorization codes that passed through the browser must never
  // reach the gateway's log.
  #noteCode(url) {
    const code = new URL(url).searchParams.get('code');
    if (!code) return;
    this.codes.add(code);
    this.gallery.codes.add(code);
  }

  // snap saves what the person sees now and checks a gateway page for the
  // accessibility basics. Call it after every step that shows a new page.
  async snap(label) {
    const page = this.page;
    await page.waitForLoadState('load');
    const n = ++this.counter.n;
    const where = page.url().startsWith(this.gallery.issuer) ? 'gateway' : 'rp';
    const file = `${String(n).padStart(2, '0')}-${this.name}-${where}${slug(new URL(page.url()).pathname)}${slug(label)}.png`;
    await page.screenshot({ path: join(this.dir, file), fullPage: true });
    if (page.url().startsWith(this.gallery.issuer)) {
      const { title, problems } = await page.evaluate(pageProblems);
      this.gallery.pages.push({ journey: this.journey, actor: this.name, url: page.url(), title, problems });
    }
    return page;
  }

  // saveFailure keeps the page as it was when a step failed.
  async saveFailure() {
    const base = join(this.dir, `FAILED-${this.name}`);
    try {
      writeFileSync(base + '.html', await this.page.content());
      await this.page.screenshot({ path: base + '.png', fullPage: true });
      return `${base}.png (at ${this.page.url()})`;
    } catch (err) {
      return `${base}: could not be saved: ${err.message}`;
    }
  }

  async close() {
    await this.context.close();
  }
}

// journey runs fn with fresh actors and, when a step fails, saves each
// actor's page before the failure is reported.
export async function journey(browser, gallery, name, actorNames, fn) {
  const actors = [];
  const counter = { n: 0 };
  for (const n of actorNames) actors.push(await Actor.create(browser, gallery, name, n, counter));
  try {
    await fn(...actors);
  } catch (err) {
    const saved = [];
    for (const a of actors) saved.push(await a.saveFailure());
    const note = `\n  pages saved: ${saved.join('; ')}`;
    err.message += note;
    if (typeof err.stack === 'string') err.stack += note; // what the test runner prints
    throw err;
  } finally {
    for (const a of actors) await a.close();
  }
}

function slug(s) {
  const t = s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
  return t && '-' + t;
}

// follow clicks locator (or presses key on it) and waits until the page
// this leads to has loaded. It waits for the navigation itself, not for a
// new URL: a form may answer at the URL it was posted to.
export async function follow(locator, key) {
  const page = locator.page();
  const committed = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() });
  await (key ? locator.press(key) : locator.click());
  await committed;
  await page.waitForLoadState('load');
}
