import { fingerprint, type Finding, type Severity } from '../../src/model/finding.ts';
import type { AlertItem } from '../../src/actions/notify/alert.ts';
import type { NotifyLog } from '../../src/actions/notify/dispatcher.ts';
import type { NotifyClock } from '../../src/actions/notify/rate-limiter.ts';
import { SUB_PROD, TENANT_ID, UAMI_PRINCIPAL } from './ids.ts';

/** A privileged-role finding as the policy decided it in enforce mode; override any field. */
export function alertFinding(overrides: Partial<Finding> = {}): Finding {
  const scope = overrides.scope ?? `/subscriptions/${SUB_PROD}`;
  const principalId = overrides.principalId ?? UAMI_PRINCIPAL;
  return {
    id: fingerprint('privileged-role-broad-scope', principalId, scope),
    ruleId: 'privileged-role-broad-scope',
    severity: 'high',
    title: 'uami-app holds Owner at subscription scope',
    description: 'A workload identity holds a privileged administrator role at a broad scope.',
    tenantId: TENANT_ID,
    subscriptionId: SUB_PROD,
    scope,
    principalId,
    principalType: 'ServicePrincipal',
    principalDisplayName: 'uami-app',
    roleAssignmentId: `${scope}/providers/Microsoft.Authorization/roleAssignments/ac000000-0000-4000-8000-000000000001`,
    roleName: 'Owner',
    evidence: {},
    detectedAt: '2026-11-20T12:00:00.000Z',
    source: 'sweep',
    decision: { action: 'remediate', dryRun: false },
    ...overrides,
  };
}

const RULES = ['privileged-role-broad-scope', 'orphaned-role-assignment', 'stale-identity', 'new-identity', 'privileged-graph-app-role'];
const SEVERITY_CYCLE: Severity[] = ['low', 'medium', 'high', 'critical', 'medium', 'low', 'high'];

/** `count` distinct findings over several rules and severities, as one big sweep would produce. */
export function manyAlertItems(count: number): AlertItem[] {
  return Array.from({ length: count }, (_, index) => {
    const ruleId = RULES[index % RULES.length]!;
    const principalId = `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`;
    const scope = `/subscriptions/${SUB_PROD}/resourceGroups/rg-${index}`;
    return {
      finding: alertFinding({
        id: fingerprint(ruleId, principalId, scope),
        ruleId,
        severity: SEVERITY_CYCLE[index % SEVERITY_CYCLE.length]!,
        title: `finding ${index} for identity-${index}`,
        principalId,
        principalDisplayName: `identity-${index}`,
        scope,
        roleAssignmentId: `${scope}/providers/Microsoft.Authorization/roleAssignments/${principalId}`,
      }),
    };
  });
}

/** Time that moves only when the code under test sleeps: every wait is recorded, none is real. */
export class FakeClock implements NotifyClock {
  readonly waits: number[] = [];
  constructor(private current = Date.parse('2026-11-20T12:00:00Z')) {}

  now(): number {
    return this.current;
  }

  async sleep(milliseconds: number): Promise<void> {
    this.waits.push(milliseconds);
    this.current += milliseconds;
  }
}

/** A NotifyLog that keeps every line, to assert what was (and was not) logged. */
export function capturingLog(): NotifyLog & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (line) => lines.push(line), warn: (line) => lines.push(line), error: (line) => lines.push(line) };
}
