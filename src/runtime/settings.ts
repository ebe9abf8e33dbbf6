import { z } from 'zod';
import { ConfigError } from '../azure/config.ts';

/** The Functions app's own settings (app settings in Azure, the environment elsewhere). */
export interface RuntimeSettings {
  /** The policy file; the shipped default (dry-run) when unset. */
  policyFile: string | undefined;
  /** Subscriptions per scan-request message. */
  sweepBatchSize: number;
  scanQueue: string;
  /** When set, the webhook function accepts only calls carrying this key (`?key=` or `x-idwarden-key`). */
  webhookKey: string | undefined;
  tablePrefix: string | undefined;
}

export const RUNTIME_ENV = {
  policyFile: 'IDWARDEN_POLICY_FILE',
  sweepBatchSize: 'IDWARDEN_SWEEP_BATCH_SIZE',
  webhookKey: 'IDWARDEN_WEBHOOK_KEY',
  tablePrefix: 'IDWARDEN_TABLE_PREFIX',
} as const;

/** The queue the timer fans out to and the scanSubscriptions function reads (infra creates it). */
export const SCAN_QUEUE = 'scan-requests';

const optional = z.preprocess((value) => (value === '' ? undefined : value), z.string().optional());
const schema = z.object({
  [RUNTIME_ENV.policyFile]: optional,
  [RUNTIME_ENV.sweepBatchSize]: z.preprocess((value) => (value === '' || value === undefined ? '20' : value), z.coerce.number().int().min(1).max(100)),
  [RUNTIME_ENV.webhookKey]: z.preprocess((value) => (value === '' ? undefined : value), z.string().min(16, 'must be at least 16 characters').optional()),
  [RUNTIME_ENV.tablePrefix]: optional,
});

export function loadRuntimeSettings(env: Readonly<Record<string, string | undefined>>): RuntimeSettings {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((issue) => ({ variable: String(issue.path[0]), message: issue.message })));
  const values = parsed.data;
  return {
    policyFile: values[RUNTIME_ENV.policyFile],
    sweepBatchSize: values[RUNTIME_ENV.sweepBatchSize],
    scanQueue: SCAN_QUEUE,
    webhookKey: values[RUNTIME_ENV.webhookKey],
    tablePrefix: values[RUNTIME_ENV.tablePrefix],
  };
}
