import { SEVERITIES, type Severity } from '../../model/finding.ts';
import { orderFindings } from '../../report/render.ts';
import type { AlertItem } from './alert.ts';

/** What a digest says about many findings: counts, then the most severe few, then how many more. */
export interface Digest {
  total: number;
  /** Most severe first; severities with no finding are left out. */
  bySeverity: { severity: Severity; count: number }[];
  /** Most findings first, then by rule id. */
  byRule: { ruleId: string; count: number }[];
  /** The first `limit` items in report order (severity, rule, subscription, id). */
  top: AlertItem[];
  /** How many findings the digest counts but does not list. */
  more: number;
}

export function summarize(items: readonly AlertItem[], limit: number): Digest {
  const byId = new Map(items.map((item) => [item.finding, item]));
  const ordered = orderFindings(items.map((item) => item.finding)).map((finding) => byId.get(finding)!);
  const severityCounts = countBy(items, (item) => item.finding.severity);
  const ruleCounts = countBy(items, (item) => item.finding.ruleId);
  return {
    total: items.length,
    bySeverity: [...SEVERITIES]
      .reverse()
      .filter((severity) => severityCounts.has(severity))
      .map((severity) => ({ severity, count: severityCounts.get(severity)! })),
    byRule: [...ruleCounts].map(([ruleId, count]) => ({ ruleId, count })).sort((a, b) => b.count - a.count || a.ruleId.localeCompare(b.ruleId)),
    top: ordered.slice(0, limit),
    more: Math.max(0, items.length - limit),
  };
}

function countBy<K>(items: readonly AlertItem[], key: (item: AlertItem) => K): Map<K, number> {
  const counts = new Map<K, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}
