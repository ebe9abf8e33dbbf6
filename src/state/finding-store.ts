import { z } from 'zod';
import { SEVERITIES, type ActionKind, type Finding, type Severity } from '../model/finding.ts';
import { mapConcurrently } from './concurrency.ts';
import { coverageKeysOf, coverageProperty, normaliseCoverageKey, type CoverageKey } from './coverage.ts';
import { StateStoreError } from './errors.ts';
import { jsonProperties, jsonString, readJsonText } from './json-property.ts';
import { tableKey } from './keys.ts';
import { parseStored, type EntityProperties, type Expected, type Mutation, type StateTable, type StoredEntity } from './table.ts';

/**
 * Findings across runs: when each was first and last seen, whether it is still open, its ticket and last
 * notification. A run records what it saw and, within what it covered, resolves what it no longer sees.
 *
 * Table layout: PartitionKey = the finding id (`tableKey`), RowKey = '' (one entity per finding, its own
 * partition: no hot partition, and no write ever spans two findings). The finding's JSON is in `finding`
 * (split over `finding_1` ... when long); `cov_<hash>: true` per coverage key lets one query find every
 * finding a run covers.
 */
export interface FindingStore {
  /**
   * Records the findings a run saw (opened, reopened or refreshed), then resolves the findings still open or
   * exempted within the run's coverage (`run.scope`, and `run.rules` when given) that the run did not see.
   * Observations older than what is stored (a slow run finishing after a newer one) change nothing.
   */
  upsertFromRun(findings: readonly Finding[], run: RunCoverage): Promise<UpsertSummary>;
  get(id: string): Promise<StoredFinding | undefined>;
  /** Findings with status `open` (not exempted, not resolved), in no particular order. */
  listOpen(): Promise<StoredFinding[]>;
  setTicket(id: string, ticket: TicketRef): Promise<StoredFinding>;
  /** Moves the last-notification time forward; an older time than the stored one changes nothing. */
  setLastNotified(id: string, at: Date): Promise<StoredFinding>;
  /**
   * An exemption granted outside the policy file (e.g. approved in the ticket): the finding stays `exempted`
   * through later runs until the exemption expires. Exemptions in the policy need no call: the decision carries them.
   */
  markExempted(id: string, exemption: ExemptionGrant, at: Date): Promise<StoredFinding>;
}

export type FindingStatus = 'open' | 'resolved' | 'exempted';

export interface RunCoverage {
  source: Finding['source'];
  /** What the run evaluated completely (see coverage.ts for the contract). */
  scope: readonly CoverageKey[];
  /** The rules the run evaluated; absent means every rule. */
  rules?: readonly string[];
  at: Date;
  runId?: string;
}

export interface TicketRef {
  /** The ticket system, e.g. `github` or `servicenow`. */
  system: string;
  id: string;
  url?: string;
}

export interface ExemptionGrant {
  reason: string;
  approvedBy: string;
  /** ISO date-time; null means no end. */
  expires: string | null;
}

export interface StoredFinding {
  id: string;
  ruleId: string;
  status: FindingStatus;
  severity: Severity;
  action: ActionKind;
  dryRun: boolean;
  /** The finding as last seen. */
  finding: Finding;
  firstSeen: Date;
  lastSeen: Date;
  /** Start of the current open period: first seen, or the last time it reappeared after being resolved. */
  openedAt: Date;
  lastSource: Finding['source'];
  resolvedAt?: Date;
  resolvedBy?: { source: Finding['source']; runId?: string };
  coverageKeys: CoverageKey[];
  ticket?: TicketRef;
  lastNotifiedAt?: Date;
  exemption?: ExemptionGrant & { grantedAt: Date };
  /** Evidence keys left out because the finding was too large for a table entity; absent when nothing was. */
  evidenceOmitted?: string[];
}

export interface UpsertSummary {
  opened: string[];
  reopened: string[];
  refreshed: string[];
  resolved: string[];
  /** Seen by this run, but a newer run had already seen or resolved them: left as they were. */
  stale: string[];
  /**
   * Among `refreshed`: open since before this run, yet never notified since they opened (an alert that failed, an
   * attempt that died before sending it): a run announces them, so an alert is late rather than lost.
   */
  unannounced: { id: string; openedAt: Date }[];
}

/** Whether people heard of the finding since it (last) opened. */
export function isAnnounced(stored: StoredFinding): boolean {
  return stored.lastNotifiedAt !== undefined && stored.lastNotifiedAt >= stored.openedAt;
}

type Observed = { outcome: 'opened' | 'reopened' | 'refreshed' | 'stale'; unannouncedSince?: Date };

/** Upserts in flight per run: enough to hide round trips, few enough to stay polite to the account. */
const PARALLEL_WRITES = 8;
const ROW = '';

export function createFindingStore(table: StateTable): FindingStore {
  const read = async (operation: string, id: string) => {
    const entity = await table.find(operation, tableKey(id), ROW);
    return entity && parseEntity(entity, table.name, operation);
  };

  /** Read-modify-write of an existing finding; a missing one is an error (these calls follow an upsert). */
  const change = (operation: string, id: string, next: (current: StoredFinding) => StoredFinding | undefined) =>
    table.mutate(operation, tableKey(id), ROW, (entity): Mutation<StoredFinding> => {
      if (!entity) throw new StateStoreError({ table: table.name, operation, statusCode: 404, code: 'ResourceNotFound', requestId: undefined }, `no finding '${id}'`);
      const current = parseEntity(entity, table.name, operation);
      const updated = next(current);
      return updated ? { result: updated, write: toProperties(updated, table.name, operation) } : { result: current };
    });

  const observe = (finding: Finding, run: RunCoverage, expected: Expected) =>
    table.mutate('upsertFromRun', tableKey(finding.id), ROW, (entity): Mutation<Observed> => {
      if (!entity) {
        const created = seen(finding, run, undefined);
        return { result: { outcome: 'opened' }, write: toProperties(created, table.name, 'upsertFromRun') };
      }
      const current = parseEntity(entity, table.name, 'upsertFromRun');
      const newerKnown = run.at < current.lastSeen || (current.resolvedAt !== undefined && run.at < current.resolvedAt);
      if (newerKnown) {
        if (run.at >= current.firstSeen) return { result: { outcome: 'stale' } };
        return { result: { outcome: 'stale' }, write: toProperties({ ...current, firstSeen: run.at }, table.name, 'upsertFromRun') };
      }
      const write = toProperties(seen(finding, run, current), table.name, 'upsertFromRun');
      if (current.status === 'resolved') return { result: { outcome: 'reopened' }, write };
      return { result: { outcome: 'refreshed', ...(isAnnounced(current) ? {} : { unannouncedSince: current.openedAt }) }, write };
    }, { expected });

  const resolve = (id: string, stored: StoredEntity, run: RunCoverage, scope: ReadonlySet<CoverageKey>) =>
    table.mutate('upsertFromRun', tableKey(id), ROW, (entity): Mutation<boolean> => {
      if (!entity) return { result: false };
      const current = parseEntity(entity, table.name, 'upsertFromRun');
      const covered = current.coverageKeys.some((key) => scope.has(key)) && (!run.rules || run.rules.includes(current.ruleId));
      // Seen at or after this run's instant by another run: still there as far as anyone knows.
      if (current.status === 'resolved' || !covered || current.lastSeen >= run.at) return { result: false };
      const resolved: StoredFinding = {
        ...current,
        status: 'resolved',
        resolvedAt: run.at,
        resolvedBy: { source: run.source, ...(run.runId ? { runId: run.runId } : {}) },
      };
      return { result: true, write: toProperties(resolved, table.name, 'upsertFromRun') };
    }, { expected: stored });

  return {
    async upsertFromRun(findings, run) {
      const summary: UpsertSummary = { opened: [], reopened: [], refreshed: [], resolved: [], stale: [], unannounced: [] };
      const latest = new Map(findings.map((finding) => [finding.id, finding]));
      // First the findings still open within the run's coverage, as stored: those the run saw are refreshed with one
      // write conditional on the ETag read here, those it did not are the ones to resolve. Any other finding the run
      // saw is most likely new: inserted, and read only when it exists after all (resolved earlier, or outside the scope).
      const scope = new Set(run.scope.map(normaliseCoverageKey));
      const covered = new Map<string, StoredEntity>();
      for (const key of scope) {
        const filter = `${coverageProperty(key)} eq true and status ne 'resolved'`;
        for (const entity of await table.query('upsertFromRun', filter)) {
          const id = entity['findingId'];
          if (typeof id === 'string') covered.set(id, entity);
        }
      }
      const outcomes = await mapConcurrently([...latest.values()], PARALLEL_WRITES, (finding) => observe(finding, run, covered.get(finding.id) ?? 'absent'));
      [...latest.keys()].forEach((id, index) => {
        const observed = outcomes[index]!;
        summary[observed.outcome].push(id);
        if (observed.unannouncedSince) summary.unannounced.push({ id, openedAt: observed.unannouncedSince });
      });

      const candidates = [...covered].filter(([id]) => !latest.has(id));
      const resolved = await mapConcurrently(candidates, PARALLEL_WRITES, ([id, entity]) => resolve(id, entity, run, scope));
      summary.resolved = candidates.filter((_, index) => resolved[index]).map(([id]) => id);
      return summary;
    },

    get: (id) => read('get', id),

    async listOpen() {
      const entities = await table.query('listOpen', `status eq 'open'`);
      return entities.map((entity) => parseEntity(entity, table.name, 'listOpen'));
    },

    setTicket: (id, ticket) => change('setTicket', id, (current) => ({ ...current, ticket })),

    setLastNotified: (id, at) =>
      change('setLastNotified', id, (current) => (current.lastNotifiedAt && current.lastNotifiedAt >= at ? undefined : { ...current, lastNotifiedAt: at })),

    markExempted: (id, grant, at) =>
      change('markExempted', id, (current) => {
        const exemption = { ...grant, grantedAt: at };
        // A resolved finding keeps its status; the exemption applies if it comes back.
        const status = current.status === 'resolved' ? 'resolved' : statusFor(current.finding, exemption, at);
        return { ...current, exemption, status };
      }),
  };
}

/**
 * The state after a run saw `finding` at `run.at`, from the stored state (undefined: never seen before).
 * What people attached to the finding carries over: its ticket, last notification and granted exemption.
 */
function seen(finding: Finding, run: RunCoverage, current: StoredFinding | undefined): StoredFinding {
  const continuing = current !== undefined && current.status !== 'resolved';
  return {
    id: finding.id,
    ruleId: finding.ruleId,
    status: statusFor(finding, current?.exemption, run.at),
    severity: finding.severity,
    action: finding.decision.action,
    dryRun: finding.decision.dryRun,
    finding,
    firstSeen: current && current.firstSeen < run.at ? current.firstSeen : run.at,
    lastSeen: run.at,
    openedAt: continuing ? current.openedAt : run.at,
    lastSource: run.source,
    coverageKeys: coverageKeysOf(finding),
    ...(current?.ticket ? { ticket: current.ticket } : {}),
    ...(current?.lastNotifiedAt ? { lastNotifiedAt: current.lastNotifiedAt } : {}),
    ...(current?.exemption ? { exemption: current.exemption } : {}),
  };
}

/** Exempted while the policy's decision carries an exemption or a granted one has not expired; open otherwise. */
function statusFor(finding: Finding, granted: ExemptionGrant | undefined, at: Date): FindingStatus {
  if (finding.decision.exemption) return 'exempted';
  if (granted && (granted.expires === null || new Date(granted.expires) > at)) return 'exempted';
  return 'open';
}

function toProperties(state: StoredFinding, table: string, operation: string): EntityProperties {
  const { properties: findingJson, evidenceOmitted: omittedNow } = compactFinding(state.finding, table, operation);
  // A finding read back may already lack evidence (state.evidenceOmitted); a fresh one from a run never does.
  const evidenceOmitted = [...(state.evidenceOmitted ?? []), ...(omittedNow ?? [])];
  const optional = (name: string, value: string | Date | undefined) => (value === undefined ? {} : { [name]: value });
  return {
    schemaVersion: 1,
    findingId: state.id,
    ruleId: state.ruleId,
    status: state.status,
    severity: state.severity,
    action: state.action,
    dryRun: state.dryRun,
    firstSeen: state.firstSeen,
    lastSeen: state.lastSeen,
    openedAt: state.openedAt,
    lastSource: state.lastSource,
    ...optional('resolvedAt', state.resolvedAt),
    ...optional('resolvedBySource', state.resolvedBy?.source),
    ...optional('resolvedByRunId', state.resolvedBy?.runId),
    coverageKeys: JSON.stringify(state.coverageKeys),
    ...Object.fromEntries(state.coverageKeys.map((key) => [coverageProperty(key), true])),
    ...optional('ticket', state.ticket && JSON.stringify(state.ticket)),
    ...optional('lastNotifiedAt', state.lastNotifiedAt),
    ...optional('exemption', state.exemption && JSON.stringify(state.exemption)),
    ...optional('evidenceOmitted', evidenceOmitted.length > 0 ? JSON.stringify(evidenceOmitted) : undefined),
    ...findingJson,
  };
}

/**
 * The finding's JSON properties, within the entity budget. Evidence is the only open-ended part: when the whole
 * does not fit, its entries are left out largest first until it does, and their keys are recorded.
 */
function compactFinding(finding: Finding, table: string, operation: string): { properties: Record<string, string | number>; evidenceOmitted?: string[] } {
  const whole = jsonProperties('finding', finding);
  if (whole) return { properties: whole };
  const bySize = Object.entries(finding.evidence)
    .map(([key, value]) => ({ key, size: JSON.stringify(value)?.length ?? 0 }))
    .sort((a, b) => b.size - a.size);
  const evidence = { ...finding.evidence };
  const omitted: string[] = [];
  for (const { key } of bySize) {
    delete evidence[key];
    omitted.push(key);
    const properties = jsonProperties('finding', { ...finding, evidence });
    if (properties) return { properties, evidenceOmitted: omitted };
  }
  throw new StateStoreError(
    { table, operation, statusCode: undefined, code: 'EntityTooLarge', requestId: undefined },
    `finding '${finding.id}' does not fit a table entity even without its evidence`,
  );
}

const exemptionSchema = z.object({ reason: z.string(), approvedBy: z.string(), expires: z.string().nullable() });

/** The stored finding is read back as data from outside: checked, not trusted. Only the fields the store relies on are checked in the finding itself. */
const findingSchema = z.looseObject({
  id: z.string(),
  ruleId: z.string(),
  tenantId: z.string(),
  evidence: z.record(z.string(), z.unknown()),
  decision: z.looseObject({ action: z.string(), dryRun: z.boolean() }),
});

const entitySchema = z.object({
  findingId: z.string(),
  ruleId: z.string(),
  status: z.enum(['open', 'resolved', 'exempted']),
  severity: z.enum(SEVERITIES as [Severity, ...Severity[]]),
  action: z.enum(['report', 'alert', 'ticket', 'remediate']),
  dryRun: z.boolean(),
  firstSeen: z.date(),
  lastSeen: z.date(),
  openedAt: z.date(),
  lastSource: z.enum(['event', 'sweep']),
  resolvedAt: z.date().optional(),
  resolvedBySource: z.enum(['event', 'sweep']).optional(),
  resolvedByRunId: z.string().optional(),
  coverageKeys: jsonString(z.array(z.string())),
  ticket: jsonString(z.object({ system: z.string(), id: z.string(), url: z.string().optional() })).optional(),
  lastNotifiedAt: z.date().optional(),
  exemption: jsonString(exemptionSchema.extend({ grantedAt: z.iso.datetime().transform((value) => new Date(value)) })).optional(),
  evidenceOmitted: jsonString(z.array(z.string())).optional(),
  finding: jsonString(findingSchema),
});

function parseEntity(entity: StoredEntity, table: string, operation: string): StoredFinding {
  const value = parseStored(entitySchema, entity, { table, operation }, (stored) => ({ ...stored, finding: readJsonText(stored, 'finding') }));
  return {
    id: value.findingId,
    ruleId: value.ruleId,
    status: value.status,
    severity: value.severity,
    action: value.action,
    dryRun: value.dryRun,
    finding: value.finding as unknown as Finding,
    firstSeen: value.firstSeen,
    lastSeen: value.lastSeen,
    openedAt: value.openedAt,
    lastSource: value.lastSource,
    ...(value.resolvedAt ? { resolvedAt: value.resolvedAt } : {}),
    ...(value.resolvedBySource ? { resolvedBy: { source: value.resolvedBySource, ...(value.resolvedByRunId ? { runId: value.resolvedByRunId } : {}) } } : {}),
    coverageKeys: value.coverageKeys as CoverageKey[],
    ...(value.ticket ? { ticket: value.ticket } : {}),
    ...(value.lastNotifiedAt ? { lastNotifiedAt: value.lastNotifiedAt } : {}),
    ...(value.exemption ? { exemption: value.exemption } : {}),
    ...(value.evidenceOmitted ? { evidenceOmitted: value.evidenceOmitted } : {}),
  };
}
