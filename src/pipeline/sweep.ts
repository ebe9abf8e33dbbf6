import type { AzureClients } from '../azure/clients.ts';
import { whoAmI } from '../azure/whoami.ts';
import type { Finding } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import type { LoadedPolicy } from '../policy/load.ts';
import type { RuleError } from '../rules/evaluate.ts';
import { buildSnapshot } from '../inventory/build-snapshot.ts';
import { buildScanReport, type ScanReport } from '../report/scan-report.ts';
import { judgeSnapshot } from './judge.ts';

export interface SweepOptions {
  /** The instant time-based rules are judged at (`--as-of`); now when absent. */
  asOf?: Date;
  subscriptions?: string[];
  managementGroup?: string;
  progress?: (step: string) => void;
  /** Counts of API calls by endpoint, when the caller can measure them (the emulator can). */
  apiCalls?: () => Record<string, number>;
}

export interface SweepResult {
  snapshot: Snapshot;
  findings: Finding[];
  ruleErrors: RuleError[];
  report: ScanReport;
}

/** One full sweep: inventory, rules, policy decisions and the report. What the timer function and `idwarden scan` run. */
export async function runSweep(clients: AzureClients, loaded: LoadedPolicy, options: SweepOptions = {}): Promise<SweepResult> {
  const started = Date.now();
  const asOf = options.asOf ?? new Date();
  const bot = await whoAmI(clients.credential);
  const snapshot = await buildSnapshot(clients, {
    now: asOf,
    tenantId: bot.tenantId,
    ...(options.subscriptions ? { subscriptions: options.subscriptions } : {}),
    ...(options.managementGroup ? { managementGroup: options.managementGroup } : {}),
    ...(options.progress ? { progress: options.progress } : {}),
  });
  const scoped = options.subscriptions !== undefined || options.managementGroup !== undefined;
  const { findings, ruleErrors } = judgeSnapshot(snapshot, loaded, {
    asOf,
    botPrincipalId: bot.principalId,
    source: 'sweep',
    ...(scoped ? { coveredSubscriptions: new Set(snapshot.subscriptions.map((s) => s.subscriptionId.toLowerCase())) } : {}),
  });
  const report = buildScanReport({
    snapshot,
    findings,
    asOf,
    policyHash: loaded.hash,
    enforcement: loaded.policy.enforcement,
    generatedAt: new Date(),
    ...(options.apiCalls ? { apiCalls: options.apiCalls() } : {}),
    durationMs: Date.now() - started,
  });
  return { snapshot, findings, ruleErrors, report };
}
