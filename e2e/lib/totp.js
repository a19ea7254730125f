// An authenticator app for the journeys: the code an app would show for a
// secret typed in from the page (RFC 6238: HMAC-SHA1, 30-second steps, six
// digits, which is what coopgate's QR code asks apps for). Node's crypto
// does the HMAC; the rest is RFC 4648 base32 and RFC 4226 truncation.
import { createHmac } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const STEP_MS = 30000;

// totp is the code for secret (base32, spaces and case forgiven) at the
// time at (milliseconds since the epoch).
export function totp(secret, at = Date.now(), digits = 6) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / STEP_MS)));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  const n = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(n).padStart(digits, '0');
}

// base32 decodes RFC 4648 base32 as people copy it from a page.
export function base32(text) {
  const clean = text.replace(/[\s=-]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of clean) {
    const i = BASE32.indexOf(c);
    if (i < 0) throw new Error(`not base32: ${JSON.stringify(c)}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}
