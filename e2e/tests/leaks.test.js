// The log check must be able to fail: these feed it logs that do leak.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findLeaks, describe, redact } from '../lib/leaks.js';

const secrets = [
  { kind: 'password', value: 'pw correct horse' },
  { kind: 'authorization code', value: 'c0de-abcdef123456' },
  { kind: 'email address', value: 'ada@example.coop' },
];

test('a clean log has no findings', () => {
  const log = '{"msg":"login","person":"24984330-b427","request_id":"0c60e8bc"}\n{"msg":"request","path":"/login"}';
  assert.deepEqual(findLeaks(log, secrets), []);
});

test('each secret is found, with its line, and redacted in the report', () => {
  const log = [
    '{"msg":"request","path":"/callback?code=c0de-abcdef123456"}',
    '{"msg":"login failed","email":"ada@example.coop","password":"pw correct horse"}',
    '{"msg":"mail sent","to":"someone.else@example.org"}',
  ].join('\n');
  const found = findLeaks(log, secrets);
  assert.deepEqual(found.map((f) => [f.line, f.kind]), [
    [1, 'authorization code'], [2, 'password'], [2, 'email address'], [3, 'email address'],
  ]);
  const report = describe(found);
  for (const s of [...secrets.map((s) => s.value), 'someone.else@example.org']) {
    assert.ok(!report.includes(s), `the report repeats ${redact(s)}`);
  }
});
