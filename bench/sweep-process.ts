/**
 * One measured sweep in a process of its own, so that its peak memory is the sweep's alone (the emulator stays in
 * the parent): `node --import tsx bench/sweep-process.ts idwarden|baseline <as-of ISO time>`, started by
 * bench/run.ts with the emulator's environment. The result goes back over the IPC channel, then the process exits.
 */
import { z } from 'zod';
import { createAzureClients } from '../src/azure/clients.ts';
import { loadAzureConfig } from '../src/azure/config.ts';
import type { Finding } from '../src/model/finding.ts';
import { parsePolicy } from '../src/policy/load.ts';
import { runSweep } from '../src/pipeline/sweep.ts';
import { baselineSweep } from './baseline.ts';
import { SweepMode, type SweepMeasurement, type SweepReply } from './measurement.ts';

async function measure(mode: SweepMode, asOf: Date): Promise<SweepMeasurement> {
  const clients = createAzureClients(loadAzureConfig(process.env));
  const started = performance.now();
  if (mode === 'baseline') {
    const read = await baselineSweep(clients);
    return { wallSeconds: elapsed(started), peakRssMb: peakRssMb(), findings: null, findingsByRule: {}, remediationBlockedByRule: {}, read: { ...read }, gaps: [] };
  }
  const { snapshot, findings } = await runSweep(clients, parsePolicy('version: 1\n', 'built-in default policy'), { asOf });
  return {
    wallSeconds: elapsed(started),
    peakRssMb: peakRssMb(),
    findings: findings.length,
    findingsByRule: countByRule(findings),
    remediationBlockedByRule: countByRule(findings.filter((finding) => finding.evidence['remediationBlocked'] !== undefined)),
    read: {
      subscriptions: snapshot.subscriptions.length,
      roleAssignments: snapshot.roleAssignments.length,
      principalsLookedUp: Object.keys(snapshot.principals).length,
      userAssignedIdentities: snapshot.userAssignedIdentities.length,
      managedIdentities: snapshot.managedIdentityPrincipals.length,
    },
    gaps: snapshot.gaps.map((gap) => `${gap.area}${gap.scope ? ` ${gap.scope}` : ''}: ${gap.reason}`),
  };
}

const countByRule = (findings: readonly Finding[]) => Object.fromEntries([...Map.groupBy(findings, (finding) => finding.ruleId)].map(([rule, found]) => [rule, found.length]));
const elapsed = (started: number) => (performance.now() - started) / 1000;
/** ru_maxrss is in kilobytes on Linux. */
const peakRssMb = () => process.resourceUsage().maxRSS / 1024;

function reply(message: SweepReply): void {
  if (!process.send) throw new Error('bench/sweep-process.ts runs as a child of bench/run.ts (it reports over IPC)');
  // Exit once the message is out: the clients' keep-alive sockets would otherwise hold the process open.
  process.send(message, () => process.exit(message.ok ? 0 : 1));
}

try {
  reply({ ok: true, measurement: await measure(SweepMode.parse(process.argv[2]), new Date(z.iso.datetime().parse(process.argv[3]))) });
} catch (error) {
  reply({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}
