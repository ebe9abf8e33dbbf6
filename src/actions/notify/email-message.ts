import { escapeHtml as e } from '../../report/render.ts';
import { describeAlert, principalOf, decisionText, SEVERITY_LABELS, type AlertItem, type AlertRun } from './alert.ts';
import type { Digest } from './digest.ts';

/**
 * Alert emails (pure): a subject and an HTML body for Graph sendMail. Every value from Azure is HTML-escaped, links
 * are only the portal's and the ticket's (absolute http(s), attribute-escaped), and there is no script or remote image.
 */
export interface AlertEmail {
  subject: string;
  html: string;
}

/** Findings an email digest lists row by row; the rest are counted. */
export const EMAIL_DIGEST_ROWS = 100;

const SEVERITY_COLORS = { critical: '#a4262c', high: '#d13438', medium: '#ca5010', low: '#605e5c' } as const;

/** A subject is one line of plain text: control characters (a newline in a display name) become spaces. */
function subjectLine(text: string): string {
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length <= 250 ? line : `${line.slice(0, 249)}…`;
}

const link = (url: string, label: string) => `<a href="${e(url)}">${e(label)}</a>`;

function page(title: string, content: string): string {
  return `<html><body style="font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#201f1e">
<h2 style="margin:0 0 8px 0">${e(title)}</h2>
${content}
<p style="color:#605e5c;font-size:12px">Sent by idwarden, the identity-governance bot for Azure.</p>
</body></html>`;
}

export function findingEmail(item: AlertItem): AlertEmail {
  const alert = describeAlert(item);
  const rows = alert.facts.map((fact) => `<tr><th align="left" valign="top" style="padding:2px 12px 2px 0">${e(fact.title)}</th><td style="padding:2px 0">${e(fact.value)}</td></tr>`);
  const links = [alert.portalUrl && link(alert.portalUrl, 'Open in Azure portal'), alert.ticketUrl && link(alert.ticketUrl, 'Open ticket')].filter(Boolean);
  const content = [
    `<p style="color:${SEVERITY_COLORS[alert.severity]};font-weight:bold">${e(SEVERITY_LABELS[alert.severity])} · ${e(alert.ruleId)}</p>`,
    `<p>${e(alert.description)}</p>`,
    `<table>${rows.join('')}</table>`,
    ...alert.notes.map((note) => `<p style="color:#605e5c">${e(note)}</p>`),
    links.length > 0 ? `<p>${links.join(' · ')}</p>` : '',
  ].join('\n');
  return { subject: subjectLine(`[idwarden] ${SEVERITY_LABELS[alert.severity]}: ${alert.title}`), html: page(alert.title, content) };
}

export function digestEmail(digest: Digest, run: AlertRun): AlertEmail {
  const counts = digest.bySeverity.map(({ severity, count }) => `${count} ${SEVERITY_LABELS[severity].toLowerCase()}`).join(', ');
  const source = run.kind === 'sweep' ? 'sweep' : 'event batch';
  const title = `${digest.total} findings need attention`;
  const countRows = (rows: { label: string; count: number }[]) => `<table>${rows.map((row) => `<tr><td style="padding:2px 12px 2px 0">${e(row.label)}</td><td align="right">${row.count}</td></tr>`).join('')}</table>`;
  const findingRows = digest.top.map((item) => {
    const alert = describeAlert(item);
    const target = alert.ticketUrl ?? alert.portalUrl;
    const cells = [
      `<td style="color:${SEVERITY_COLORS[alert.severity]};font-weight:bold">${e(SEVERITY_LABELS[alert.severity])}</td>`,
      `<td>${e(alert.ruleId)}</td>`,
      `<td>${target ? link(target, alert.title) : e(alert.title)}</td>`,
      `<td>${e(principalOf(item.finding) ?? '')}</td>`,
      `<td>${e(item.finding.scope ?? item.finding.identityResourceId ?? '')}</td>`,
      `<td>${e(decisionText(item.finding))}</td>`,
    ];
    return `<tr valign="top">${cells.join('')}</tr>`;
  });
  const content = [
    `<p>From one idwarden ${e(source)}${run.id ? ` (${e(run.id)})` : ''}: ${e(counts)}.</p>`,
    '<h3>By severity</h3>',
    countRows(digest.bySeverity.map(({ severity, count }) => ({ label: SEVERITY_LABELS[severity], count }))),
    '<h3>By rule</h3>',
    countRows(digest.byRule.map(({ ruleId, count }) => ({ label: ruleId, count }))),
    `<h3>${digest.more > 0 ? `Most severe ${digest.top.length}` : 'Findings'}</h3>`,
    `<table cellpadding="4" style="border-collapse:collapse"><tr><th align="left">Severity</th><th align="left">Rule</th><th align="left">Finding</th><th align="left">Principal</th><th align="left">Where</th><th align="left">Decision</th></tr>${findingRows.join('\n')}</table>`,
    digest.more > 0 ? `<p>…and ${digest.more} more in the run's report.</p>` : '',
  ].join('\n');
  return { subject: subjectLine(`[idwarden] ${title}: ${counts}`), html: page(title, content) };
}
