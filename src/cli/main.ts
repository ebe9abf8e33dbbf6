/**
 * The idwarden command line (contract: DESIGN.md §7). Exit codes: 0 fine, 1 a finding reached --fail-on, 2 error.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadAzureConfig, ConfigError } from '../azure/config.ts';
import { createAzureClients } from '../azure/clients.ts';
import { SEVERITIES, type Severity } from '../model/finding.ts';
import { loadPolicyFile, parsePolicy, type LoadedPolicy } from '../policy/load.ts';
import { PolicyError, formatProblem } from '../policy/policy-error.ts';
import { validatePolicyCommand } from '../policy/validate-command.ts';
import { runSweep } from '../pipeline/sweep.ts';
import { useEmulatorIdentity } from './emulator-identity.ts';
import { REPORT_FORMATS, renderReport } from '../report/render.ts';


const ScanFlags = z.object({
  emulator: z.boolean().default(false),
  seed: z.string().optional(),
  subscription: z.array(z.guid()).optional(),
  'management-group': z.string().regex(/^[\w.()-]{1,90}$/, 'a management group id (name)').optional(),
  policy: z.string().optional(),
  format: z.enum(REPORT_FORMATS).optional(),
  output: z.string().optional(),
  'fail-on': z.enum(SEVERITIES).optional(),
  'as-of': z.iso.datetime({ offset: true }).optional(),
});

class UsageError extends Error {}

function parseFlags<T extends z.ZodType>(schema: T, values: unknown): z.output<T> {
  const parsed = schema.safeParse(values);
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'));
  return parsed.data;
}

function loadPolicy(file: string | undefined): LoadedPolicy {
  return file ? loadPolicyFile(file) : parsePolicy('version: 1\n', 'built-in default policy');
}

/** Starts the in-process emulator and points this process's Azure configuration at it. */
async function emulatorEnvironment(seed: string | undefined): Promise<{ env: Record<string, string>; stop: () => Promise<void>; apiCalls: () => Record<string, number> }> {
  const { startEmulator } = await import('../../emulator/index.ts');
  const emulator = await startEmulator(seed ? { seed } : {});
  useEmulatorIdentity(emulator.env);
  return { env: emulator.env, stop: () => emulator.stop(), apiCalls: () => emulator.core.requests.countsByRoute() };
}

async function scan(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      emulator: { type: 'boolean' },
      seed: { type: 'string' },
      subscription: { type: 'string', multiple: true },
      'management-group': { type: 'string' },
      policy: { type: 'string' },
      format: { type: 'string' },
      output: { type: 'string' },
      'fail-on': { type: 'string' },
      'as-of': { type: 'string' },
    },
    strict: true,
  });
  const flags = parseFlags(ScanFlags, values);
  const policy = loadPolicy(flags.policy);
  const emulator = flags.emulator ? await emulatorEnvironment(flags.seed) : undefined;
  try {
    const config = loadAzureConfig(emulator ? emulator.env : process.env);
    const clients = createAzureClients(config);
    const result = await runSweep(clients, policy, {
      ...(flags['as-of'] ? { asOf: new Date(flags['as-of']) } : {}),
      ...(flags.subscription ? { subscriptions: flags.subscription } : {}),
      ...(flags['management-group'] ? { managementGroup: flags['management-group'] } : {}),
      ...(emulator ? { apiCalls: emulator.apiCalls } : {}),
      ...(process.stderr.isTTY ? { progress: (step: string) => process.stderr.write(`\r\x1b[Kreading ${step}…`) } : {}),
    });
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    const format = flags.format ?? (process.stdout.isTTY ? 'table' : 'json');
    const rendered = renderReport(result.report, format);
    if (flags.output) writeFileSync(flags.output, rendered);
    else process.stdout.write(rendered);
    for (const error of result.ruleErrors) process.stderr.write(`rule ${error.ruleId} did not run: ${error.message}\n`);
    const failOn = flags['fail-on'];
    if (failOn) {
      const threshold = SEVERITIES.indexOf(failOn);
      if (result.findings.some((f) => SEVERITIES.indexOf(f.severity as Severity) >= threshold)) return 1;
    }
    return result.ruleErrors.length > 0 ? 2 : 0;
  } finally {
    await emulator?.stop();
  }
}

const USAGE = `usage:
  idwarden scan [--emulator] [--seed FILE] [--subscription ID]... [--management-group ID] [--policy FILE] [--format table|json|csv|markdown|html] [--output FILE] [--fail-on SEVERITY] [--as-of ISO-TIME]
  idwarden demo [--enforce]         the emulated tenant through the Functions app; writes idwarden-report/
  idwarden policy validate FILE
  idwarden restore AUDIT_ID         puts back what a removal or down-scope took away (same name, role, scope, condition)
  idwarden replay FILE... [--emulator [--seed FILE]] [--policy FILE]   Event Grid events from files through the activityEvents processing
  idwarden emulator [--seed FILE] [--port N] [--latency-ms N]   the local Azure emulator; prints the variables that point a client at it`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'scan':
        return await scan(rest);
      case 'demo': {
        const { values } = parseArgs({ args: rest, options: { enforce: { type: 'boolean' } }, strict: true });
        const { runDemo } = await import('./demo.ts');
        return await runDemo({ enforce: values.enforce ?? false, out: (text) => process.stdout.write(`${text}\n`) });
      }
      case 'replay': {
        const { values, positionals } = parseArgs({
          args: rest,
          options: { emulator: { type: 'boolean' }, seed: { type: 'string' }, policy: { type: 'string' } },
          allowPositionals: true,
          strict: true,
        });
        if (positionals.length === 0) throw new UsageError('usage: idwarden replay FILE... [--emulator [--seed FILE]] [--policy FILE]');
        const { replay } = await import('./replay.ts');
        return await replay({
          files: positionals,
          emulator: values.emulator ?? false,
          ...(values.seed ? { seed: values.seed } : {}),
          ...(values.policy ? { policy: values.policy } : {}),
          out: (line) => process.stdout.write(`${line}\n`),
        });
      }
      case 'restore': {
        if (!rest[0] || rest.length !== 1) throw new UsageError('usage: idwarden restore AUDIT_ID');
        const { createRuntime } = await import('../runtime/runtime.ts');
        const { restoreFromAudit } = await import('../actions/remediate/restore.ts');
        const runtime = await createRuntime(process.env);
        const bot = await runtime.bot();
        const record = await restoreFromAudit(rest[0], { clients: runtime.clients, audit: runtime.state.audit, actor: bot.principalId, policyHash: runtime.policy.hash, now: runtime.now });
        process.stdout.write(`${record.outcome}: ${record.target} (audit ${record.id})\n`);
        return 0;
      }
      case 'emulator': {
        const { runEmulatorCli } = await import('../../emulator/cli.ts');
        return await runEmulatorCli(rest);
      }
      case 'policy': {
        if (rest[0] !== 'validate' || !rest[1]) throw new UsageError('usage: idwarden policy validate FILE');
        const result = validatePolicyCommand(rest[1]);
        (result.exitCode === 0 ? process.stdout : process.stderr).write(`${result.output}\n`);
        return result.exitCode;
      }
      default:
        process.stderr.write(`${USAGE}\n`);
        return command === undefined || command === '--help' ? 0 : 2;
    }
  } catch (error) {
    if (error instanceof UsageError) process.stderr.write(`idwarden: ${error.message}\n${USAGE}\n`);
    else if (error instanceof PolicyError) process.stderr.write(`idwarden: invalid policy ${error.source ?? ''}\n${error.problems.map(formatProblem).join('\n')}\n`);
    else if (error instanceof ConfigError) process.stderr.write(`idwarden: ${error.message}\n`);
    else process.stderr.write(`idwarden: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
