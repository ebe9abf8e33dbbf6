// After `tsc`: the non-TypeScript files the built app reads at run time (tsc copies imported JSON itself).
import { cpSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const directory of ['src/policy', 'src/policy/examples']) {
  for (const file of readdirSync(join(root, directory)).filter((name) => name.endsWith('.yaml'))) {
    cpSync(join(root, directory, file), join(root, 'dist', directory, file));
  }
}
