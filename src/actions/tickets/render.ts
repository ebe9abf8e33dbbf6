import type { Finding } from '../../model/finding.ts';
import { htmlCode, htmlLink, htmlText, markdownCode, markdownCodeBlock, markdownLink, markdownText, oneLine } from './escape.ts';

/**
 * What a ticket says about a finding, once, then written as GitHub Markdown or Azure DevOps HTML: title, severity,
 * rule, what and where, evidence, the decision, Azure portal links and the finding id. Every value from Azure goes
 * through the format's escaping; labels and structure are ours.
 */

type Part = { kind: 'text' | 'code'; value: string };

interface Fact {
  label: string;
  parts: Part[];
}

interface TicketDocument {
  title: string;
  summary: string;
  facts: Fact[];
  decision: string[];
  evidence: string;
  links: { label: string; url: string }[];
  findingId: string;
}

/** The longest title both services take (Azure DevOps' System.Title: 255). */
const MAX_TITLE = 255;
/** Room left under GitHub's 65,536-character body for everything but the evidence. */
const MAX_GITHUB_EVIDENCE = 50_000;

const text = (value: string): Part => ({ kind: 'text', value });
const code = (value: string): Part => ({ kind: 'code', value });

export function ticketTitle(finding: Finding): string {
  const severity = finding.severity[0]!.toUpperCase() + finding.severity.slice(1);
  const title = oneLine(`[idwarden] ${severity}: ${finding.title}`).replace(/\s+/g, ' ').trim();
  return title.length > MAX_TITLE ? `${title.slice(0, MAX_TITLE - 1)}…` : title;
}

/** https://portal.azure.com/#@{tenant}/resource{id}, each segment encoded; undefined for ids that are not ARM resources or scopes. */
export function portalLink(tenantId: string, id: string, blade = ''): string | undefined {
  if (!/^\/(subscriptions|providers\/Microsoft\.Management\/managementGroups)\/[^/]/i.test(id)) return undefined;
  const path = id.split('/').filter(Boolean).map(encodeURIComponent).join('/');
  return `https://portal.azure.com/#@${encodeURIComponent(tenantId)}/resource/${path}${blade}`;
}

function linksOf(finding: Finding): TicketDocument['links'] {
  const links: TicketDocument['links'] = [];
  const add = (label: string, url: string | undefined) => {
    if (url && !links.some((link) => link.url === url)) links.push({ label, url });
  };
  if (finding.identityResourceId) add('Identity in the Azure portal', portalLink(finding.tenantId, finding.identityResourceId));
  if (finding.scope && finding.scope !== finding.identityResourceId) add('Scope in the Azure portal', portalLink(finding.tenantId, finding.scope));
  // Access control (IAM) of the scope, where the role assignment is seen and removed by hand.
  if (finding.roleAssignmentId && finding.scope?.toLowerCase().startsWith('/subscriptions/')) {
    add('Access control (IAM) at the scope', portalLink(finding.tenantId, finding.scope, '/users'));
  }
  return links;
}

function factsOf(finding: Finding): Fact[] {
  const facts: Fact[] = [];
  const add = (label: string, ...parts: (Part | undefined)[]) => {
    const present = parts.filter((part): part is Part => part !== undefined && part.value !== '');
    if (present.length > 0) facts.push({ label, parts: present });
  };
  const when = <T>(value: T | undefined, part: (value: T) => Part) => (value === undefined ? undefined : part(value));
  add('Severity', text(finding.severity));
  add('Rule', code(finding.ruleId));
  add('Principal', when(finding.principalDisplayName, text), when(finding.principalId, code));
  add('Principal type', when(finding.principalType, text));
  add('Role', when(finding.roleName, text), when(finding.roleDefinitionId, code));
  add('Scope', when(finding.scope, code));
  add('Identity resource', when(finding.identityResourceId, code));
  add('Role assignment', when(finding.roleAssignmentId, code));
  add('Microsoft Graph permission', when(finding.graphPermission, code));
  add('Directory role', when(finding.directoryRole, text));
  add('Group', when(finding.groupId, code));
  add('Subscription', when(finding.subscriptionId, code));
  add('Tenant', code(finding.tenantId));
  add('Detected', text(`${finding.detectedAt} by ${finding.source === 'event' ? 'an Azure event' : 'a sweep'}`));
  return facts;
}

function decisionOf(finding: Finding): string[] {
  const { decision } = finding;
  return [
    `Action: ${decision.action}${decision.dryRun ? ' (dry run: nothing was changed)' : ''}`,
    ...(decision.exemption
      ? [`Exempted: ${decision.exemption.reason}${decision.exemption.approvedBy ? `, approved by ${decision.exemption.approvedBy}` : ''}${decision.exemption.expires ? `, until ${decision.exemption.expires}` : ''}`]
      : []),
    ...(decision.notes ?? []),
  ];
}

function documentOf(finding: Finding): TicketDocument {
  return {
    title: ticketTitle(finding),
    summary: finding.description,
    facts: factsOf(finding),
    decision: decisionOf(finding),
    evidence: JSON.stringify(finding.evidence, null, 2),
    links: linksOf(finding),
    findingId: finding.id,
  };
}

/** The GitHub issue body; `marker` (the fingerprint comment) goes last, where it stays out of a reader's way. */
export function markdownBody(finding: Finding, marker: string): string {
  const doc = documentOf(finding);
  const part = (p: Part) => (p.kind === 'code' ? markdownCode(p.value) : markdownText(p.value));
  const evidence =
    doc.evidence.length > MAX_GITHUB_EVIDENCE ? `${doc.evidence.slice(0, MAX_GITHUB_EVIDENCE)}\n… (evidence truncated: ${doc.evidence.length} characters)` : doc.evidence;
  return [
    markdownText(doc.summary),
    '',
    ...doc.facts.map((fact) => `- **${fact.label}:** ${fact.parts.map(part).join(' ')}`),
    '',
    '### Decision',
    '',
    ...doc.decision.map((line) => `- ${markdownText(line)}`),
    '',
    '### Evidence',
    '',
    markdownCodeBlock(evidence, 'json'),
    ...(doc.links.length > 0 ? ['', '### Links', '', ...doc.links.map((link) => `- ${markdownLink(link.label, link.url)}`)] : []),
    '',
    '---',
    `Finding id: ${markdownCode(doc.findingId)}. Opened and kept up to date by idwarden; it closes this issue when the finding resolves.`,
    marker,
  ].join('\n');
}

/** The Azure DevOps System.Description (HTML); `footer` carries the digest as text Azure DevOps' sanitizer keeps. */
export function htmlBody(finding: Finding, footer: string): string {
  const doc = documentOf(finding);
  const part = (p: Part) => (p.kind === 'code' ? htmlCode(p.value) : htmlText(oneLine(p.value)));
  return [
    `<p>${htmlText(oneLine(doc.summary))}</p>`,
    `<ul>${doc.facts.map((fact) => `<li><b>${htmlText(fact.label)}:</b> ${fact.parts.map(part).join(' ')}</li>`).join('')}</ul>`,
    '<h3>Decision</h3>',
    `<ul>${doc.decision.map((line) => `<li>${htmlText(oneLine(line))}</li>`).join('')}</ul>`,
    '<h3>Evidence</h3>',
    `<pre><code>${htmlText(doc.evidence)}</code></pre>`,
    ...(doc.links.length > 0 ? ['<h3>Links</h3>', `<ul>${doc.links.map((link) => `<li>${htmlLink(link.label, link.url)}</li>`).join('')}</ul>`] : []),
    `<p>Finding id: ${htmlCode(doc.findingId)}. Opened and kept up to date by idwarden; it closes this work item when the finding resolves. ${htmlText(footer)}</p>`,
  ].join('\n');
}

/** A note (comment, close or reopen reason) in GitHub Markdown: plain text, escaped, paragraphs kept. */
export const markdownNote = (note: string) => note.split(/\n{2,}/).map(markdownText).join('\n\n');

/** The same note as Azure DevOps HTML. */
export const htmlNote = (note: string) => note.split(/\n{2,}/).map((paragraph) => `<p>${htmlText(oneLine(paragraph))}</p>`).join('');
