import type { Finding, Severity } from '../model/finding.ts';
import type { ScanReport } from './scan-report.ts';
import { markdownText } from '../actions/tickets/escape.ts';

export const REPORT_FORMATS = ['table', 'json', 'csv', 'markdown', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/** Findings in report order: severity, then rule, then subscription, then id. */
export function orderFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      a.ruleId.localeCompare(b.ruleId) ||
      (a.subscriptionId ?? '').localeCompare(b.subscriptionId ?? '') ||
      a.id.localeCompare(b.id),
  );
}

const subjectOf = (f: Finding) => f.principalDisplayName ?? f.identityResourceId?.split('/').pop() ?? f.principalId ?? '';
const whereOf = (f: Finding) => f.scope ?? f.identityResourceId ?? '';
const actionOf = (f: Finding) => `${f.decision.action}${f.decision.dryRun && f.decision.action === 'remediate' ? ' (dry-run)' : ''}${f.decision.exemption ? ' [exempt]' : ''}`;

export function renderReport(report: ScanReport, format: ReportFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'csv':
      return renderCsv(report);
    case 'markdown':
      return renderMarkdown(report);
    case 'html':
      return renderHtml(report);
    case 'table':
      return renderTable(report);
  }
}

function csvCell(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  // Quote always; neutralise spreadsheet formula injection from names that come from Azure.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replaceAll('"', '""')}"`;
}

function renderCsv(report: ScanReport): string {
  const columns = ['id', 'ruleId', 'severity', 'title', 'subscriptionId', 'scope', 'principalId', 'principalDisplayName', 'roleName', 'graphPermission', 'directoryRole', 'action', 'dryRun', 'exempt'] as const;
  const rows = orderFindings(report.findings).map((f) =>
    [f.id, f.ruleId, f.severity, f.title, f.subscriptionId, f.scope ?? f.identityResourceId, f.principalId, f.principalDisplayName, f.roleName, f.graphPermission, f.directoryRole, f.decision.action, f.decision.dryRun, Boolean(f.decision.exemption)]
      .map(csvCell)
      .join(','),
  );
  return `${columns.join(',')}\n${rows.join('\n')}${rows.length ? '\n' : ''}`;
}

/**
 * Text from Azure in a Markdown table cell, escaped as the tickets escape it: no HTML, link, image, emphasis, code,
 * mention or autolink, `|` included. Ids too are text, not code spans: a code span shows `&lt;` as typed and a
 * backtick in the id could close it early.
 */
const mdCell = markdownText;

function renderMarkdown(report: ScanReport): string {
  const lines = [
    '# idwarden scan report',
    '',
    `Tenant \`${report.tenantId}\`, as of ${report.asOf}, policy \`${report.policyHash.slice(0, 12)}\` (${report.enforcement}).`,
    '',
    `**${report.stats.findings} findings** — ${Object.entries(report.stats.bySeverity).map(([s, n]) => `${s}: ${n}`).join(', ')}. ` +
      `${report.stats.managedIdentities} managed identities, ${report.stats.roleAssignments} role assignments, ${report.stats.subscriptions} subscriptions.`,
    '',
  ];
  if (report.gaps.length > 0) {
    lines.push('> **Incomplete:** some data could not be read, so rules that depend on it stayed silent:', '>');
    for (const gap of report.gaps) lines.push(`> - ${mdCell(gap.area)}${gap.scope ? ` at ${mdCell(gap.scope)}` : ''}: ${mdCell(gap.reason)}`);
    lines.push('');
  }
  const byRule = Map.groupBy(orderFindings(report.findings), (f) => f.ruleId);
  for (const [ruleId, findings] of [...byRule].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`## ${ruleId} (${findings.length})`, '', '| severity | subject | where | action | finding |', '|---|---|---|---|---|');
    for (const f of findings) lines.push(`| ${f.severity} | ${mdCell(subjectOf(f))} | ${mdCell(whereOf(f))} | ${mdCell(actionOf(f))} | ${mdCell(f.title)} |`);
    lines.push('');
  }
  if (report.actions?.length) {
    lines.push('## Actions', '', '| audit id | action | outcome | target |', '|---|---|---|---|');
    for (const action of report.actions) lines.push(`| ${mdCell(action.auditId)} | ${mdCell(action.action)}${action.dryRun ? ' (dry-run)' : ''} | ${mdCell(action.outcome)} | ${mdCell(action.target)} |`);
    lines.push('');
  }
  lines.push('## Managed identities', '', '| identity | type | attached to | role assignments | Graph app roles | directory roles | created | last sign-in |', '|---|---|---|---|---|---|---|---|');
  for (const identity of report.identities) {
    lines.push(
      `| ${mdCell(identity.displayName ?? identity.principalId)} | ${identity.type} | ${mdCell(identity.attachedTo.map((id) => id.split('/').pop()).join(', '))} | ${identity.roleAssignments.length} | ${mdCell(identity.graphAppRoles.join(', '))} | ${mdCell(identity.directoryRoles.join(', '))} | ${identity.createdAt ?? ''} | ${identity.lastSignIn ?? 'never'} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Everything from Azure is escaped: a resource named `<script>` is text, never markup. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function renderHtml(report: ScanReport): string {
  const e = escapeHtml;
  const findings = orderFindings(report.findings)
    .map(
      (f) => `<tr class="sev-${e(f.severity)}"><td>${e(f.severity)}</td><td>${e(f.ruleId)}</td><td>${e(subjectOf(f))}</td><td><code>${e(whereOf(f))}</code></td><td>${e(actionOf(f))}</td>
<td><details><summary>${e(f.title)}</summary><p>${e(f.description)}</p><pre>${e(JSON.stringify(f.evidence, null, 2))}</pre><p>id <code>${e(f.id)}</code></p></details></td></tr>`,
    )
    .join('\n');
  const identities = report.identities
    .map(
      (i) =>
        `<tr><td>${e(i.displayName ?? i.principalId)}</td><td>${e(i.type)}</td><td>${e(i.attachedTo.join(', '))}</td><td>${e(i.roleAssignments.map((r) => `${r.roleName} @ ${r.scope}${r.via === 'direct' ? '' : ` (via group ${r.via.groupId})`}`).join('; '))}</td><td>${e(i.graphAppRoles.join(', '))}</td><td>${e(i.directoryRoles.join(', '))}</td><td>${e(i.createdAt ?? '')}</td><td>${e(i.lastSignIn ?? 'never')}</td></tr>`,
    )
    .join('\n');
  const gaps = report.gaps.length
    ? `<div class="gaps"><strong>Incomplete:</strong><ul>${report.gaps.map((g) => `<li>${e(g.area)}${g.scope ? ` at <code>${e(g.scope)}</code>` : ''}: ${e(g.reason)}</li>`).join('')}</ul></div>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>idwarden scan report</title>
<style>
body{font:14px system-ui,sans-serif;margin:2rem;color:#1b1b1b}table{border-collapse:collapse;width:100%;margin-bottom:2rem}
td,th{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}code{font-size:12px}
.sev-critical td:first-child{background:#7a0010;color:#fff}.sev-high td:first-child{background:#d13438;color:#fff}
.sev-medium td:first-child{background:#ffaa44}.sev-low td:first-child{background:#e1dfdd}.gaps{background:#fff4ce;padding:.5rem 1rem;margin-bottom:1rem}
pre{white-space:pre-wrap;font-size:12px;background:#f5f5f5;padding:.5rem}
</style></head><body>
<h1>idwarden scan report</h1>
<p>Tenant <code>${e(report.tenantId)}</code>, as of ${e(report.asOf)}, policy <code>${e(report.policyHash.slice(0, 12))}</code> (${e(report.enforcement)}).
<strong>${report.stats.findings} findings</strong>: ${Object.entries(report.stats.bySeverity).map(([s, n]) => `${e(s)} ${n}`).join(', ')}.</p>
${gaps}
<h2>Findings</h2>
<table><thead><tr><th>severity</th><th>rule</th><th>subject</th><th>where</th><th>action</th><th>finding</th></tr></thead><tbody>
${findings}
</tbody></table>
${report.actions?.length ? `<h2>Actions</h2>
<table><thead><tr><th>audit id</th><th>action</th><th>outcome</th><th>target</th><th>why</th></tr></thead><tbody>
${report.actions.map((a) => `<tr><td><code>${e(a.auditId)}</code></td><td>${e(a.action)}${a.dryRun ? ' (dry-run)' : ''}</td><td>${e(a.outcome)}</td><td><code>${e(a.target)}</code></td><td>${e(a.reason)}</td></tr>`).join('\n')}
</tbody></table>` : ''}
<h2>Managed identities</h2>
<table><thead><tr><th>identity</th><th>type</th><th>attached to</th><th>Azure roles</th><th>Graph app roles</th><th>directory roles</th><th>created</th><th>last sign-in</th></tr></thead><tbody>
${identities}
</tbody></table>
</body></html>
`;
}

function renderTable(report: ScanReport): string {
  const rows = orderFindings(report.findings).map((f) => [f.severity, f.ruleId, subjectOf(f), actionOf(f), whereOf(f)]);
  const header = ['SEVERITY', 'RULE', 'SUBJECT', 'ACTION', 'WHERE'];
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => String(r[i]).length))));
  const line = (cells: string[]) => cells.map((c, i) => (c.length > widths[i]! ? `${c.slice(0, widths[i]! - 1)}…` : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const summary = `${report.stats.findings} findings (${Object.entries(report.stats.bySeverity).map(([s, n]) => `${s} ${n}`).join(', ')})${report.stats.incomplete ? ' — INCOMPLETE: see gaps' : ''}`;
  return [line(header), ...rows.map(line), '', summary, ...report.gaps.map((g) => `gap: ${g.area}${g.scope ? ` at ${g.scope}` : ''}: ${g.reason}`)].join('\n') + '\n';
}
