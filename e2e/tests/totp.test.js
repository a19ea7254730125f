// The journeys' authenticator app must compute what a real one would: the
// SHA-1 test vectors of RFC 6238, appendix B.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { totp, base32 } from '../lib/totp.js';

const SECRET = 'GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ'; // "12345678901234567890", grouped as coopgate shows it

test('base32 reads the secret as typed from the page', () => {
  assert.equal(base32(SECRET).toString('ascii'), '12345678901234567890');
  assert.equal(base32('gezdgnbv').toString('ascii'), '12345');
  assert.throws(() => base32('GEZ1'), /not base32/);
});

test('totp gives the codes of RFC 6238', () => {
  for (const [seconds, code] of [[59, '94287082'], [1111111109, '07081804'], [1111111111, '14050471'],
    [1234567890, '89005924'], [2000000000, '69279037'], [20000000000, '65353130']]) {
    assert.equal(totp(SECRET, seconds * 1000, 8), code, `at ${seconds} s`);
  }
  assert.equal(totp(SECRET, 59000), '287082'); // six digits, as coopgate asks apps for
});
