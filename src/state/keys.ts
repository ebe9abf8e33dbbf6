import { createHash } from 'node:crypto';

/**
 * A PartitionKey or RowKey for an arbitrary string. Table keys refuse `/ \ # ?` and control characters and stop
 * at 1 KiB, and ARM ids are full of slashes; so a value that is not plainly safe is stored as `~` + its SHA-256.
 * `~` is outside the safe set, so a hashed key never equals a plain one. Entities keep the original value in a
 * property: keys are for lookup, never read back.
 */
export function tableKey(value: string): string {
  return SAFE_KEY.test(value) ? value : `~${sha256(value)}`;
}

const SAFE_KEY = /^[A-Za-z0-9:._-]{1,256}$/;

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
