import { readFileSync } from 'node:fs';
import { handleEventDelivery } from '../runtime/event-delivery.ts';
import { createRuntime } from '../runtime/runtime.ts';
import { startLocalAzure, type LocalAzure } from './local-azure.ts';

export interface ReplayOptions {
  files: string[];
  emulator: boolean;
  seed?: string;
  policy?: string;
  out: (line: string) => void;
}

const SKIPPED = new Set(['judged', 'duplicate', 'stale', 'ignored', 'gone', 'own-action']);

/**
 * `idwarden replay FILE...`: Event Grid events from files (either schema, one event or an array; dead-lettered
 * ones, say) through exactly what the activityEvents function does, with its state and its policy. Exit 0 when
 * every event was decided or deliberately skipped, 2 when one was malformed or could not be decided.
 */
export async function replay(options: ReplayOptions): Promise<number> {
  const bodies = options.files.map((file) => ({ file, body: JSON.parse(readFileSync(file, 'utf8')) as unknown }));
  let local: LocalAzure | undefined;
  try {
    if (options.emulator) local = await startLocalAzure(options.seed ? { seed: options.seed } : {});
    const env = { ...(local ? local.env : process.env), ...(options.policy ? { IDWARDEN_POLICY_FILE: options.policy } : {}) };
    const runtime = await createRuntime(env);
    let clean = true;
    for (const { file, body } of bodies) {
      const result = await handleEventDelivery(runtime, body);
      for (const rejected of result.rejected) {
        clean = false;
        options.out(`${file}: event ${rejected.index} (${rejected.id ?? 'no id'}) rejected: ${rejected.problems.join('; ')}`);
      }
      for (const outcome of result.outcomes) {
        if (!SKIPPED.has(outcome.status)) clean = false;
        const findings = outcome.findings.map((f) => `${f.ruleId} → ${f.decision.action}${f.decision.dryRun ? ' (dry-run)' : ''}`).join(', ');
        options.out(`${file}: event ${outcome.eventId} ${outcome.status}: ${outcome.reason}${findings ? ` [${findings}]` : ''}`);
      }
      for (const action of result.actions) options.out(`${file}:   action ${action.status} ${action.action}: ${action.reason}`);
    }
    return clean ? 0 : 2;
  } finally {
    await local?.stop();
  }
}
