import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The first file called `name` in `from` or a folder above it that `accept` takes (its answer), or undefined at the
 * root: how the app finds its own files (package.json, host.json) from src/ in a checkout or dist/src/ when built.
 */
export function findUpwards<T>(from: string, name: string, accept: (file: string) => T | undefined): T | undefined {
  for (let directory = from; ; directory = dirname(directory)) {
    const file = join(directory, name);
    const accepted = existsSync(file) ? accept(file) : undefined;
    if (accepted !== undefined) return accepted;
    if (dirname(directory) === directory) return undefined;
  }
}
