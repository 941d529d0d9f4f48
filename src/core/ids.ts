import { createHash, randomBytes } from 'node:crypto';

/** A new random 32-hex-digit id, Flink's JobID format. */
export function newId(): string {
  return randomBytes(16).toString('hex');
}

/** 32 hex digits of a stable hash of `text` (operator ids, fingerprints). */
export function hashId(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** Full sha256 hex of bytes or text (content addresses of bundles). */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** True when `s` is a 32-hex-digit id. */
export function isId(s: string): boolean {
  return /^[0-9a-f]{32}$/.test(s);
}
