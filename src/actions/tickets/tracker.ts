import type { Finding } from '../../model/finding.ts';
import type { TicketService } from './errors.ts';

export type { TicketService } from './errors.ts';

/**
 * A ticket as the tracker last saw it. The fingerprint and digest are read back from the ticket itself (GitHub: a
 * hidden marker in the body; Azure DevOps: a tag and a line in the description), so a ticket is found again by its
 * finding even when the bot's own state is lost.
 */
export interface TicketRef {
  service: TicketService;
  /** GitHub issue number or Azure DevOps work item id. */
  id: string;
  /** The page a person opens. */
  url: string;
  state: 'open' | 'closed';
  /** The finding's id (its fingerprint). */
  fingerprint: string;
  /** Digest of the finding's material fields the ticket describes; undefined when the ticket no longer carries one. */
  digest: string | undefined;
}

/** What the bot's state keeps of a ticket (src/state's `{ system, id }`): enough to re-read it. */
export interface KnownTicket {
  service: TicketService;
  id: string;
}

/**
 * One ticket per finding fingerprint in one place (a GitHub repository, an Azure DevOps project). Texts passed in
 * are plain text: each tracker escapes them for its format (Markdown for GitHub, HTML for Azure DevOps).
 */
export interface TicketTracker {
  readonly service: TicketService;
  /** The ticket carrying this fingerprint, open or closed; undefined when there is none. */
  find(fingerprint: string): Promise<TicketRef | undefined>;
  /** Re-reads a ticket by its id; undefined when it is gone or belongs to another finding than `fingerprint`. */
  get(id: string, fingerprint: string): Promise<TicketRef | undefined>;
  /**
   * The finding's ticket as it is now, from the tracker's index (refreshed once per tracker, incrementally when an
   * earlier run read it): the known one (`knownId`, from the bot's state) while it carries the fingerprint, else the
   * one found by fingerprint. `reach: 'one'` says the run looks up few findings (an event): a known ticket is then
   * re-read alone while no index was read yet.
   */
  current(fingerprint: string, knownId: string | undefined, reach: 'one' | 'all'): Promise<TicketRef | undefined>;
  /** Opens a ticket describing the finding, marked with its fingerprint and digest. */
  open(finding: Finding, digest: string): Promise<TicketRef>;
  /** Rewrites the ticket's title and description to the finding as it is now (and its digest). */
  update(ref: TicketRef, finding: Finding, digest: string): Promise<TicketRef>;
  comment(ref: TicketRef, text: string): Promise<void>;
  /** Closes as done, explaining why. */
  close(ref: TicketRef, reason: string): Promise<TicketRef>;
  /** Opens a closed ticket again, explaining why. */
  reopen(ref: TicketRef, reason: string): Promise<TicketRef>;
}

const FINGERPRINT = /^[a-z-]+:[0-9a-f]{20}$/;

/** Fingerprints are written into markers and tags; anything but the finding-id shape could break out of them. */
export function assertFingerprint(fingerprint: string): void {
  if (!FINGERPRINT.test(fingerprint)) throw new TypeError(`'${fingerprint}' is not a finding fingerprint (expected rule-id:20 hex digits)`);
}
