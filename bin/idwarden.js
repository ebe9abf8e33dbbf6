#!/usr/bin/env node
// `npx idwarden ...` in a checkout: runs the TypeScript CLI under tsx, with the emulator's certificate
// trusted (Node reads NODE_EXTRA_CA_CERTS only at start-up, so it is set here, for the child).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Resolved from here, not from the caller's working directory.
const tsx = import.meta.resolve('tsx');
const child = spawn(
  process.execPath,
  ['--import', tsx, join(root, 'bin', 'with-emulator-ca.ts'), '--', process.execPath, '--disable-warning=DEP0040', '--import', tsx, join(root, 'src', 'cli', 'main.ts'), ...process.argv.slice(2)],
  { stdio: 'inherit', cwd: process.cwd() },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
