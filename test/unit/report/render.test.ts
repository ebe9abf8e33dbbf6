import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '../../../src/model/finding.ts';
import { renderReport } from '../../../src/report/render.ts';
import { buildScanReport } from '../../../src/report/scan-report.ts';
import { SnapshotBuilder } from '../../support/snapshot-builder.ts';

const hostile = '<script>alert(1)</script>|=cmd()';

function report() {
  const snapshot = new SnapshotBuilder().build();
  const finding: Finding = {
    id: 'privileged-role-broad-scope:0123456789abcdef0123',
    ruleId: 'privileged-role-broad-scope',
    severity: 'high',
    title: `Owner for ${hostile}`,
    description: hostile,
    tenantId: 't',
    scope: `/subscriptions/x/resourceGroups/${hostile}`,
    principalDisplayName: hostile,
    roleName: '=HYPERLINK("http://evil")',
    evidence: { name: hostile },
    detectedAt: '2026-11-20T12:00:00.000Z',
    source: 'sweep',
    decision: { action: 'remediate', dryRun: true },
  };
  return buildScanReport({ snapshot, findings: [finding], asOf: new Date('2026-11-20T12:00:00Z'), policyHash: 'abc', enforcement: 'dry-run', generatedAt: new Date(0) });
}

test('HTML escapes everything that comes from Azure: a resource named <script> is text', () => {
  const html = renderReport(report(), 'html');
  assert.ok(!html.includes('<script>'), 'no live script tag');
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.match(html, /Content-Security-Policy/);
});

test('CSV quotes every cell and defuses spreadsheet formulas; Markdown keeps its table intact', () => {
  const csv = renderReport(report(), 'csv');
  const row = csv.split('\n')[1]!;
  assert.ok(row.includes('"Owner for <script>alert(1)</script>|=cmd()"'), row);
  assert.ok(row.includes('"\'=HYPERLINK(""http://evil"")"'), 'a leading = is defused and quotes doubled');
  const markdown = renderReport(report(), 'markdown');
  const tableRow = markdown.split('\n').find((line) => line.startsWith('| high'))!;
  assert.equal(tableRow.split(/(?<!\\)\|/).length, 7, 'pipes from Azure are escaped');
  assert.ok(!markdown.includes('<script>'));
});

test('JSON is the report object itself', () => {
  const parsed = JSON.parse(renderReport(report(), 'json'));
  assert.equal(parsed.schemaVersion, 1);
  assert.equal(parsed.findings[0].principalDisplayName, hostile);
});
