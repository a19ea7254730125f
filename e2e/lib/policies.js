// A changed policy, as a co-op would publish one: a copy of the built-in
// policies with one file's version bumped and a sentence changed.
import { cpSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { E2E_DIR } from './stack.js';

export const CHANGED = {
  id: 'no-hate-speech',
  version: '2',
  before: 'You always have the right to be heard.',
  after: 'You always have the right to be heard, and to bring a friend.',
};

// writeChangedPolicies fills dir with the policies of this tree, CHANGED
// applied, and returns dir.
export function writeChangedPolicies(dir) {
  mkdirSync(dir, { recursive: true });
  cpSync(join(E2E_DIR, '..', 'policies'), dir, { recursive: true, filter: (src) => !src.endsWith('.go') });
  const file = join(dir, CHANGED.id + '.md');
  const text = readFileSync(file, 'utf8');
  const changed = text.replace(/^version: "1"$/m, `version: "${CHANGED.version}"`).replace(CHANGED.before, CHANGED.after);
  if (!changed.includes(`version: "${CHANGED.version}"`) || !changed.includes(CHANGED.after)) {
    throw new Error(`${file} no longer has the version "1" line or the sentence this journey changes; update e2e/lib/policies.js`);
  }
  writeFileSync(file, changed);
  return dir;
}
