import { createHash, randomInt } from 'node:crypto';

/**
 * API key secrets: "bsk_" and 40 base62 characters (≈238 bits), so a leaked key is easy to
 * recognise and to grep for. Only the SHA-256 of a secret is stored; a high-entropy secret needs
 * no slow hash, and the lookup by hash keeps authentication one indexed query.
 */
const KEY_PREFIX = 'bsk_';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SECRET_LENGTH = 40;
/** How much of a secret is kept in clear to tell keys apart: the prefix and 4 characters. */
const DISPLAY_LENGTH = KEY_PREFIX.length + 4;

export function generateKeySecret(): string {
  let body = '';
  for (let i = 0; i < SECRET_LENGTH; i++) body += ALPHABET[randomInt(ALPHABET.length)];
  return KEY_PREFIX + body;
}

export function hashKeySecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function displayPrefixOf(secret: string): string {
  return secret.slice(0, DISPLAY_LENGTH);
}
