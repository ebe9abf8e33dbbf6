import type { Finding } from '../model/finding.ts';
import type { StoredFinding, UpsertSummary } from '../state/finding-store.ts';
import { syncTicket, type TicketSyncAction } from '../actions/tickets/sync.ts';
import { ticketTrackers } from '../actions/tickets/trackers.ts';
import type { TicketTracker } from '../actions/tickets/tracker.ts';
import type { Runtime } from './runtime.ts';

export interface TicketOutcome {
  findingId: string;
  service: string;
  status: TicketSyncAction | 'failed';
  reason?: string;
  url?: string;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * One ticket per finding in each configured tracker: the run's ticket findings are synced (opened once, commented
 * when they changed, reopened when they came back) and the findings the run resolved have their tickets closed.
 * A tracker failing for one finding is recorded and the others go on; the finding itself is already stored.
 */
export async function syncRunTickets(runtime: Runtime, findings: readonly Finding[], summary: UpsertSummary): Promise<TicketOutcome[]> {
  const { policy } = runtime.policy;
  const ticketed = findings.filter((finding) => finding.decision.action === 'ticket');
  const resolved: StoredFinding[] = [];
  for (const id of summary.resolved) {
    const stored = await runtime.state.findings.get(id);
    if (stored?.ticket) resolved.push(stored);
  }
  if (ticketed.length === 0 && resolved.length === 0) return [];
  let trackers: TicketTracker[];
  try {
    trackers = ticketTrackers(policy.tickets, runtime.env, runtime.clients.credential);
  } catch (error) {
    return ticketed.map((finding) => ({ findingId: finding.id, service: 'tickets', status: 'failed', reason: describe(error) }));
  }
  const outcomes: TicketOutcome[] = [];
  const sync = async (tracker: TicketTracker, finding: Finding, state: 'open' | 'resolved', known: StoredFinding | undefined) => {
    try {
      const knownTicket = known?.ticket && known.ticket.system === tracker.service ? { service: tracker.service, id: known.ticket.id } : undefined;
      const result = await syncTicket(tracker, finding, state, knownTicket, { now: runtime.now() });
      if (result.ticket && result.action === 'opened') {
        await runtime.state.findings.setTicket(finding.id, { system: tracker.service, id: result.ticket.id, url: result.ticket.url });
      }
      outcomes.push({ findingId: finding.id, service: tracker.service, status: result.action, ...(result.ticket ? { url: result.ticket.url } : {}) });
    } catch (error) {
      outcomes.push({ findingId: finding.id, service: tracker.service, status: 'failed', reason: describe(error) });
    }
  };
  for (const tracker of trackers) {
    for (const finding of ticketed) await sync(tracker, finding, 'open', await runtime.state.findings.get(finding.id));
    for (const stored of resolved) await sync(tracker, stored.finding, 'resolved', stored);
  }
  return outcomes;
}
