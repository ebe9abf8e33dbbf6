import type { RoleAssignmentRecord } from '../src/model/snapshot.ts';
import type { FaultHarness } from '../test/faults/harness.ts';
import { assertInvariants, observe, type Observations } from '../test/faults/invariants.ts';
import type { SoakWorld } from './world.ts';

export interface Violation {
  message: string;
  /** Seconds into the soak when a check first saw it. */
  firstSeenAt: number;
  timesSeen: number;
}

/**
 * The fault suite's safety invariants (test/faults/invariants.ts), checked against a soak: the same checks, over a
 * tenant that changes while they run. Their "true state before acting" is the fault-free snapshot plus every role
 * assignment made since, as ARM held it when it was made (each made under a new name, so an id names one grant).
 */
export class SafetyChecks {
  checks = 0;
  readonly violations = new Map<string, Violation>();
  private readonly made = new Map<string, RoleAssignmentRecord>();
  private readonly observed: Observations;

  constructor(
    private readonly world: SoakWorld,
    private readonly startedAt: number,
  ) {
    const { tenant } = world.emulator.core;
    world.emulator.core.armOperations.subscribe((operation) => {
      if (operation.kind !== 'write' || !/\/providers\/Microsoft\.Authorization\/roleAssignments\//i.test(operation.resourceId)) return;
      const assignment = tenant.roleAssignment(operation.resourceId);
      if (!assignment || this.made.has(assignment.id.toLowerCase())) return;
      this.made.set(assignment.id.toLowerCase(), {
        id: assignment.id,
        name: assignment.name,
        scope: assignment.scope,
        roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${assignment.roleDefinitionName}`,
        principalId: assignment.principalId,
        principalType: assignment.principalType,
        condition: assignment.condition,
        createdOn: assignment.createdOn.toISOString(),
        createdBy: assignment.createdBy,
      });
    });
    this.observed = observe(this.harness());
  }

  /** Runs every invariant; a failed one is recorded (once per distinct message) rather than thrown. */
  async check(): Promise<boolean> {
    this.checks += 1;
    try {
      await assertInvariants(this.harness(), this.observed);
      return true;
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      const seen = this.violations.get(message);
      if (seen) seen.timesSeen += 1;
      else this.violations.set(message, { message, firstSeenAt: Math.round((performance.now() - this.startedAt) / 1000), timesSeen: 1 });
      return false;
    }
  }

  /** The world as the fault suite's harness shape, with the grants made so far counted as truth. */
  private harness(): FaultHarness {
    const { emulator, azurite, functions, runtime, initial } = this.world;
    return {
      emulator,
      azurite,
      functions,
      runtime,
      faultFree: initial.findings,
      faultFreeSnapshot: { ...initial.snapshot, roleAssignments: [...initial.snapshot.roleAssignments, ...this.made.values()] },
    };
  }

  toJSON() {
    return { checks: this.checks, violations: this.violations.size, details: [...this.violations.values()] };
  }
}
