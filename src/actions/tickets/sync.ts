import type { Finding } from '../../model/finding.ts';
import { findingDigest } from './digest.ts';
import type { KnownTicket, TicketRef, TicketTracker } from './tracker.ts';

/**
 * Brings a finding's one ticket in line with the finding, reading the ticket first and writing only what differs:
 *
 * | finding  | ticket                       | action                                                      |
 * |----------|------------------------------|-------------------------------------------------------------|
 * | open     | none                         | open it                                                     |
 * | open     | open, same digest            | nothing                                                     |
 * | open     | open, digest differs         | comment on the change, rewrite the description              |
 * | open     | closed                       | reopen with a comment (and rewrite it when it changed)      |
 * | resolved | open                         | close with a comment                                        |
 * | resolved | closed or none               | nothing                                                     |
 *
 * Running it twice does nothing the second time. `known` (the ticket the bot's state remembers) is only a shortcut: the
 * ticket is taken as the tracker's index has it now (re-read alone when the index does not hold it), and when it is
 * gone or the state was lost, the tracker finds it by the fingerprint it carries. A sweep's findings share one read
 * of the tracker's tickets; an event's finding with a known ticket re-reads just that ticket until an index exists.
 * A dry-run decision never writes: the policy's dry-run opens, changes and closes no ticket.
 */

export type TicketSyncAction = 'opened' | 'commented' | 'reopened' | 'closed' | 'unchanged' | 'skipped';

export interface TicketSyncResult {
  action: TicketSyncAction;
  /** The ticket as it is after the sync; undefined when there is none. */
  ticket: TicketRef | undefined;
}

export async function syncTicket(
  tracker: TicketTracker,
  finding: Finding,
  state: 'open' | 'resolved',
  known?: KnownTicket,
  options: { now?: Date } = {},
): Promise<TicketSyncResult> {
  if (finding.decision.dryRun) return { action: 'skipped', ticket: undefined };
  const digest = findingDigest(finding);
  const knownId = known?.service === tracker.service ? known.id : undefined;
  const live = await tracker.current(finding.id, knownId, finding.source === 'event' ? 'one' : 'all');

  if (state === 'resolved') {
    if (!live || live.state === 'closed') return { action: 'unchanged', ticket: live };
    return { action: 'closed', ticket: await tracker.close(live, resolvedNote(options.now ?? new Date())) };
  }
  if (!live) return { action: 'opened', ticket: await tracker.open(finding, digest) };
  if (live.state === 'closed') {
    const reopened = await tracker.reopen(live, recurredNote(finding));
    return { action: 'reopened', ticket: live.digest === digest ? reopened : await tracker.update(reopened, finding, digest) };
  }
  if (live.digest === digest) return { action: 'unchanged', ticket: live };
  // Comment first: if the rewrite then fails, the next run comments again rather than never.
  await tracker.comment(live, changedNote(finding));
  return { action: 'commented', ticket: await tracker.update(live, finding, digest) };
}

const seenBy = (finding: Finding) => (finding.source === 'event' ? 'an Azure event' : 'a sweep');

const changedNote = (finding: Finding) =>
  `The finding changed (seen ${finding.detectedAt} by ${seenBy(finding)}). The description above now shows it as it is.\n\n${finding.description}`;

const recurredNote = (finding: Finding) =>
  `The finding is back: idwarden saw it again ${finding.detectedAt} (${seenBy(finding)}) after it had been resolved.\n\n${finding.description}`;

const resolvedNote = (now: Date) => `Resolved: idwarden no longer sees this finding (checked ${now.toISOString()}). Closing.`;
