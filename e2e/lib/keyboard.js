// Keyboard-only use: a person who cannot use a mouse moves with Tab and acts
// with Enter and Space. These helpers never click.

// focused describes the element that has the keyboard focus.
export function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    return {
      tag: el?.tagName.toLowerCase() ?? '',
      id: el?.id ?? '',
      type: el?.getAttribute('type') ?? '',
      text: (el?.textContent ?? '').trim(),
      value: el?.getAttribute('value') ?? '',
      formAction: el?.form?.getAttribute('action') ?? '',
    };
  });
}

// tabTo presses Tab until wanted(focused element) holds, and fails after
// max presses, naming where the focus went.
export async function tabTo(page, what, wanted, max = 60) {
  const path = [];
  let f = await focused(page);
  for (let i = 0; i <= max; i++) {
    if (wanted(f)) return f;
    await page.keyboard.press('Tab');
    f = await focused(page);
    path.push(f.id ? `#${f.id}` : `${f.tag}${f.text ? `"${f.text.slice(0, 20)}"` : ''}`);
  }
  throw new Error(`Tab never reached ${what} in ${max} presses; focus went: ${path.join(' → ')}`);
}

// acceptTermsByKeyboard ticks each policy on the terms page with Space and
// submits with Enter.
export async function acceptTermsByKeyboard(page) {
  if (new URL(page.url()).pathname !== '/terms') return;
  const values = await page.getByRole('checkbox').evaluateAll((els) => els.map((e) => e.value));
  for (const v of values) {
    await tabTo(page, `the checkbox ${v}`, (f) => f.type === 'checkbox' && f.value === v);
    await page.keyboard.press('Space');
  }
  await tabTo(page, 'Accept and continue', (f) => f.tag === 'button' && f.text === 'Accept and continue');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.pathname !== '/terms');
}
