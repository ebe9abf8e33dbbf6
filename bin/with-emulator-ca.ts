/**
 * Runs a command with NODE_EXTRA_CA_CERTS naming the emulator's certificate.
 * Node reads that variable only at start-up, so it must be set by the parent process:
 * `node --import tsx bin/with-emulator-ca.ts -- <command> [args...]`.
 */
import { spawn } from 'node:child_process';
import { ensureTlsMaterial } from '../emulator/tls/certificate.ts';

const separator = process.argv.indexOf('--');
const [command, ...args] = separator >= 0 ? process.argv.slice(separator + 1) : [];
if (!command) {
  console.error('usage: with-emulator-ca -- <command> [args...]');
  process.exit(2);
}
const { certPath } = await ensureTlsMaterial();
const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, NODE_EXTRA_CA_CERTS: certPath } });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
