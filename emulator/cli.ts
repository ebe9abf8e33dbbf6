/**
 * `npm run emulator [-- --seed FILE] [--port N] [--latency-ms N]`: starts the local Azure emulator and
 * prints the environment that points a client (the bot, the CLI, an SDK script) at it.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startEmulator } from './index.ts';
import { SeedError } from './seed/load.ts';

const Flags = z.object({
  seed: z.string().optional(),
  port: z.coerce.number().int().min(0).max(65535).default(0),
  'latency-ms': z.coerce.number().int().min(0).default(0),
});

/** Runs until SIGINT/SIGTERM; resolves with an exit code only when the arguments are wrong. */
export async function runEmulatorCli(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { seed: { type: 'string' }, port: { type: 'string' }, 'latency-ms': { type: 'string' } },
    strict: true,
  });
  const flags = Flags.safeParse(values);
  if (!flags.success) {
    console.error(`emulator: ${flags.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return 2;
  }
  const emulator = await startEmulator({
    ...(flags.data.seed ? { seed: flags.data.seed } : {}),
    port: flags.data.port,
    latencyMs: flags.data['latency-ms'],
  });
  const tenant = emulator.core.tenant;
  console.error(`idwarden Azure emulator listening on ${emulator.baseUrl} (tenant ${tenant.tenantId}, ${tenant.subscriptions.size} subscriptions, ${tenant.roleAssignments.size} role assignments)`);
  console.error('Point a client at it with:');
  for (const [name, value] of Object.entries(emulator.env)) console.log(`export ${name}=${value}`);
  const stop = async () => {
    await emulator.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return new Promise(() => undefined);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runEmulatorCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof SeedError ? error.message : error);
      process.exit(2);
    },
  );
}
