// The accessibility basics every gateway page must meet. pageProblems runs
// inside the page (page.evaluate), so it uses nothing from outside itself.
export function pageProblems() {
  const problems = [];
  const text = (el) => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
  if (!document.documentElement.lang) problems.push('<html> has no lang');
  if (!document.title.trim()) problems.push('no <title>');
  if (document.querySelectorAll('main').length !== 1) problems.push(`${document.querySelectorAll('main').length} <main> elements, want 1`);
  const h1s = [...document.querySelectorAll('h1')];
  if (h1s.length === 0) problems.push('no <h1>');
  else if (!h1s.some((h) => text(h))) problems.push('<h1> is empty');
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || el.type === 'submit' || el.type === 'button') continue;
    const byLabel = [...(el.labels ?? [])].some((l) => text(l));
    const byAria = el.getAttribute('aria-label')?.trim() ||
      (el.getAttribute('aria-labelledby') ?? '').split(/\s+/).some((id) => text(document.getElementById(id)));
    if (!byLabel && !byAria) problems.push(`${el.tagName.toLowerCase()} name="${el.name}" has no label`);
  }
  for (const b of document.querySelectorAll('button')) {
    if (!text(b) && !b.getAttribute('aria-label')) problems.push('a button has no text');
  }
  return { title: document.title, problems };
}
