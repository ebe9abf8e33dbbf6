import type { Finding, Severity } from '../../model/finding.ts';
import { portalUrlFor } from './portal-links.ts';

/**
 * One finding to alert about, with what the rest of the run knows about it. Pure data: the card and email
 * renderers read it, and every text in it that came from Azure is escaped by the renderer, never here.
 */
export interface AlertItem {
  finding: Finding;
  /** Who made the change, from the Event Grid event's claims, when the finding came from an event. */
  actor?: ChangeActor;
  /** The finding's ticket, when the ticket step has one (GitHub issue or Azure DevOps work item). */
  ticketUrl?: string;
}

/** The run whose alerts are sent together: one sweep, or one batch of events. */
export interface AlertRun {
  kind: 'sweep' | 'event-batch';
  /** The run's id, shown in digests so a person can find its report and audit records. */
  id?: string;
}

/** The caller of the ARM operation, as its token's claims name them (the caller, not the object acted on). */
export interface ChangeActor {
  principalId?: string;
  appId?: string;
  displayName?: string;
  userPrincipalName?: string;
  ipAddress?: string;
  /** When the change was made (the event time). */
  at?: string;
}

export interface AlertFact {
  title: string;
  value: string;
}

/** What an alert says about one finding, in plain text: the same content for Teams and for email. */
export interface AlertContent {
  severity: Severity;
  ruleId: string;
  title: string;
  description: string;
  facts: AlertFact[];
  /** The policy's notes on its decision (an exemption that lapsed, a remediation downgraded to an alert). */
  notes: string[];
  portalUrl: string | undefined;
  ticketUrl: string | undefined;
}

export const SEVERITY_LABELS: Record<Severity, string> = { critical: 'Critical', high: 'High', medium: 'Medium', low: 'Low' };

export function describeAlert(item: AlertItem): AlertContent {
  const { finding } = item;
  const facts: AlertFact[] = [];
  const add = (title: string, value: string | undefined) => {
    if (value) facts.push({ title, value });
  };
  add('Principal', principalOf(finding));
  add('Role', finding.roleName);
  add('Graph permission', finding.graphPermission);
  add('Directory role', finding.directoryRole);
  add('Through group', finding.groupId);
  add('Scope', finding.scope);
  add('Identity', finding.identityResourceId);
  add('Changed by', item.actor && actorText(item.actor));
  add('Decision', decisionText(finding));
  add('Detected', `${finding.detectedAt} (${finding.source === 'event' ? 'event' : 'sweep'})`);
  add('Finding', finding.id);
  return {
    severity: finding.severity,
    ruleId: finding.ruleId,
    title: finding.title,
    description: finding.description,
    facts,
    notes: finding.decision.notes ?? [],
    portalUrl: safeLink(portalUrlFor(finding)),
    ticketUrl: safeLink(item.ticketUrl),
  };
}

/** Who holds the access: display name, principal type and object id, as far as they are known. */
export function principalOf(finding: Finding): string | undefined {
  const name = finding.principalDisplayName;
  const kind = finding.principalType ? ` (${finding.principalType})` : '';
  if (name && finding.principalId) return `${name}${kind}, ${finding.principalId}`;
  if (name) return `${name}${kind}`;
  return finding.principalId ? `${finding.principalId}${kind}` : undefined;
}

function actorText(actor: ChangeActor): string {
  const who = actor.displayName ?? actor.userPrincipalName ?? actor.principalId ?? (actor.appId ? `application ${actor.appId}` : 'unknown caller');
  const details = [
    actor.userPrincipalName && actor.userPrincipalName !== who ? actor.userPrincipalName : undefined,
    actor.principalId && actor.principalId !== who ? `object id ${actor.principalId}` : undefined,
    actor.appId && !who.includes(actor.appId) ? `app ${actor.appId}` : undefined,
    actor.ipAddress ? `from ${actor.ipAddress}` : undefined,
  ].filter((part): part is string => part !== undefined);
  const when = actor.at ? ` at ${actor.at}` : '';
  return `${who}${details.length > 0 ? ` (${details.join(', ')})` : ''}${when}`;
}

/** The policy's decision in words: what idwarden does, whether it really does it, and any exemption. */
export function decisionText(finding: Finding): string {
  const { action, dryRun, exemption } = finding.decision;
  const verbs = { report: 'Report only', alert: 'Alert', ticket: 'Ticket', remediate: 'Remediate' } as const;
  const mode = action === 'remediate' ? (dryRun ? ' (dry-run: nothing was changed)' : ' (enforced)') : '';
  if (!exemption) return `${verbs[action]}${mode}`;
  const terms = [exemption.approvedBy ? `approved by ${exemption.approvedBy}` : undefined, exemption.expires ? `until ${exemption.expires}` : undefined].filter(Boolean);
  return `${verbs[action]}${mode}; exempt: ${exemption.reason}${terms.length > 0 ? ` (${terms.join(', ')})` : ''}`;
}

/** Longer links are dropped: no real portal or ticket URL comes near it, and a card has a size limit. */
const MAX_LINK_LENGTH = 2_000;

/** Only absolute http(s) links go into a card or an email; anything else is dropped, not rewritten. */
export function safeLink(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    const usable = (parsed.protocol === 'https:' || parsed.protocol === 'http:') && parsed.href.length <= MAX_LINK_LENGTH;
    return usable ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}
