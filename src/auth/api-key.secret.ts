import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * Key format: `isms_` + 40 random base62 characters + 6 base62 characters of CRC32 over them.
 * The fixed prefix and the checksum let secret scanners recognise a leaked key without a lookup:
 * `isms_[0-9A-Za-z]{46}`.
 */
export const KEY_PREFIX = 'isms_';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = 40;
const CHECK_LENGTH = 6;
export const KEY_PATTERN = /^isms_[0-9A-Za-z]{46}$/;

function base62(bytes: Buffer, length: number): string {
  let out = '';
  for (const byte of bytes) {
    if (byte >= 248) continue; // 248 = 4 * 62: keeps the distribution uniform
    out += ALPHABET[byte % 62];
    if (out.length === length) break;
  }
  return out;
}

function checksum(body: string): string {
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < CHECK_LENGTH; i += 1) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

export function generateSecret(): string {
  let body = '';
  while (body.length < BODY_LENGTH) body += base62(randomBytes(64), BODY_LENGTH - body.length);
  return `${KEY_PREFIX}${body}${checksum(body)}`;
}

/** Cheap check before any database work: the shape and the checksum must match. */
export function isWellFormed(secret: string): boolean {
  if (!KEY_PATTERN.test(secret)) return false;
  const body = secret.slice(KEY_PREFIX.length, KEY_PREFIX.length + BODY_LENGTH);
  return checksum(body) === secret.slice(KEY_PREFIX.length + BODY_LENGTH);
}

/** Keys carry 238 bits of entropy, so a fast hash is enough: nothing to brute-force. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function displayPrefix(secret: string): string {
  return secret.slice(0, KEY_PREFIX.length + 6);
}
