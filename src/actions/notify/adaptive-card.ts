import type { Severity } from '../../model/finding.ts';
import { describeAlert, principalOf, decisionText, SEVERITY_LABELS, type AlertItem, type AlertRun } from './alert.ts';
import { cardLink, escapeCardMarkdown, truncate } from './card-markdown.ts';
import type { Digest } from './digest.ts';

/**
 * Adaptive Cards for a Teams Workflows webhook (pure). Version 1.4 with TextBlock, FactSet, ColumnSet, Container and
 * Action.OpenUrl only: what every Teams client renders, and no Action.Submit, which a Workflows-posted card cannot use.
 * All text from Azure goes through escapeCardMarkdown and is capped, so a card stays below the 28 KB a Teams message
 * may have however long the names are; a digest lists at most DIGEST_ROWS findings, fewer when they would not fit.
 */

export type CardColor = 'Default' | 'Accent' | 'Good' | 'Warning' | 'Attention';

export interface TextBlock {
  type: 'TextBlock';
  text: string;
  wrap?: boolean;
  size?: 'Small' | 'Default' | 'Medium' | 'Large';
  weight?: 'Default' | 'Bolder';
  color?: CardColor;
  isSubtle?: boolean;
  spacing?: 'None' | 'Small' | 'Medium';
  separator?: boolean;
}

export interface FactSet {
  type: 'FactSet';
  facts: { title: string; value: string }[];
}

export interface Column {
  type: 'Column';
  width: 'auto' | 'stretch';
  items: CardElement[];
}

export interface ColumnSet {
  type: 'ColumnSet';
  columns: Column[];
  separator?: boolean;
}

export interface Container {
  type: 'Container';
  items: CardElement[];
  style?: 'default' | 'emphasis' | 'good' | 'attention' | 'warning';
}

export type CardElement = TextBlock | FactSet | ColumnSet | Container;

export interface OpenUrlAction {
  type: 'Action.OpenUrl';
  title: string;
  url: string;
}

export interface AdaptiveCard {
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  type: 'AdaptiveCard';
  version: '1.4';
  body: CardElement[];
  actions?: OpenUrlAction[];
  msteams: { width: 'Full' };
}

/** The body a Workflows "When a Teams webhook request is received" trigger takes. */
export interface TeamsMessage {
  type: 'message';
  attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive'; contentUrl: null; content: AdaptiveCard }];
}

/** Findings a digest card lists by name; the rest are counted. */
export const DIGEST_ROWS = 10;

/** Characters kept of each text from Azure: with escaping and JSON (up to 4 bytes a character) a card stays under 28 KB. */
const LIMITS = { title: 200, description: 800, fact: 250, note: 300, notes: 3, rowTitle: 120, rowDetail: 200 } as const;
/** What a digest card may weigh as a Teams message; rows that would not fit are counted instead of listed. */
const DIGEST_BUDGET_BYTES = 24 * 1024;

const SEVERITY_COLORS: Record<Severity, CardColor> = { critical: 'Attention', high: 'Attention', medium: 'Warning', low: 'Default' };
const SEVERITY_STYLES: Record<Severity, Container['style']> = { critical: 'attention', high: 'attention', medium: 'warning', low: 'emphasis' };

const text = (value: string, options: Omit<TextBlock, 'type' | 'text'> = {}): TextBlock => ({ type: 'TextBlock', text: value, wrap: true, ...options });
const escaped = (value: string, limit: number) => escapeCardMarkdown(truncate(value, limit));

export function teamsMessage(card: AdaptiveCard): TeamsMessage {
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }] };
}

function card(body: CardElement[], actions: OpenUrlAction[]): AdaptiveCard {
  return {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
    ...(actions.length > 0 ? { actions } : {}),
    msteams: { width: 'Full' },
  };
}

/** One finding: what, who, where, who made the change, the decision, and links to the portal and the ticket. */
export function findingCard(item: AlertItem): AdaptiveCard {
  const alert = describeAlert(item);
  const body: CardElement[] = [
    {
      type: 'Container',
      style: SEVERITY_STYLES[alert.severity],
      items: [
        text(`idwarden · ${SEVERITY_LABELS[alert.severity]} · ${escapeCardMarkdown(alert.ruleId)}`, { size: 'Small', isSubtle: true }),
        text(escaped(alert.title, LIMITS.title), { size: 'Large', weight: 'Bolder', spacing: 'None' }),
      ],
    },
    text(escaped(alert.description, LIMITS.description)),
    { type: 'FactSet', facts: alert.facts.map((fact) => ({ title: escapeCardMarkdown(fact.title), value: escaped(fact.value, LIMITS.fact) })) },
    ...alert.notes.slice(0, LIMITS.notes).map((note) => text(escaped(note, LIMITS.note), { size: 'Small', isSubtle: true })),
  ];
  const actions: OpenUrlAction[] = [];
  if (alert.portalUrl) actions.push({ type: 'Action.OpenUrl', title: 'Open in Azure portal', url: alert.portalUrl });
  if (alert.ticketUrl) actions.push({ type: 'Action.OpenUrl', title: 'Open ticket', url: alert.ticketUrl });
  return card(body, actions);
}

/**
 * Many findings from one run: counts by severity and by rule, the most severe (up to the digest's `top`) with links,
 * and how many more. Rows are dropped from the end, and counted as more, while the message would exceed its budget.
 */
export function digestCard(digest: Digest, run: AlertRun): AdaptiveCard {
  let listed = digest.top.length;
  for (;;) {
    const built = digestCardListing(digest, run, listed);
    if (listed === 0 || Buffer.byteLength(JSON.stringify(teamsMessage(built))) <= DIGEST_BUDGET_BYTES) return built;
    listed -= 1;
  }
}

function digestCardListing(digest: Digest, run: AlertRun, listed: number): AdaptiveCard {
  const source = run.kind === 'sweep' ? 'sweep' : 'event batch';
  const rows = digest.top.slice(0, listed);
  const more = digest.total - rows.length;
  const body: CardElement[] = [
    {
      type: 'Container',
      style: SEVERITY_STYLES[digest.bySeverity[0]?.severity ?? 'low'],
      items: [
        text(`idwarden · ${source} digest${run.id ? ` · ${escapeCardMarkdown(run.id)}` : ''}`, { size: 'Small', isSubtle: true }),
        text(`${digest.total} findings need attention`, { size: 'Large', weight: 'Bolder', spacing: 'None' }),
      ],
    },
    text('By severity', { weight: 'Bolder' }),
    { type: 'FactSet', facts: digest.bySeverity.map(({ severity, count }) => ({ title: SEVERITY_LABELS[severity], value: String(count) })) },
    text('By rule', { weight: 'Bolder' }),
    { type: 'FactSet', facts: digest.byRule.map(({ ruleId, count }) => ({ title: escapeCardMarkdown(ruleId), value: String(count) })) },
    text(more > 0 ? `Most severe ${rows.length}` : 'Findings', { weight: 'Bolder' }),
    ...rows.map(digestRow),
  ];
  if (more > 0) body.push(text(`…and ${more} more in the run's report.`, { isSubtle: true }));
  return card(body, []);
}

function digestRow(item: AlertItem): ColumnSet {
  const alert = describeAlert(item);
  const title = truncate(alert.title, LIMITS.rowTitle);
  const link = alert.ticketUrl ?? alert.portalUrl;
  const where = [principalOf(item.finding), item.finding.scope ?? item.finding.identityResourceId, decisionText(item.finding)].filter((part): part is string => Boolean(part));
  return {
    type: 'ColumnSet',
    separator: true,
    columns: [
      { type: 'Column', width: 'auto', items: [text(SEVERITY_LABELS[alert.severity], { weight: 'Bolder', color: SEVERITY_COLORS[alert.severity] })] },
      {
        type: 'Column',
        width: 'stretch',
        items: [
          text(link ? cardLink(title, link) : escapeCardMarkdown(title)),
          text(escaped(where.join(' · '), LIMITS.rowDetail), { size: 'Small', isSubtle: true, spacing: 'None' }),
        ],
      },
    ],
  };
}
