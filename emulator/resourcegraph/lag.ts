import type { RoleAssignment } from '../state/model.ts';
import type { Tenant } from '../state/tenant.ts';

/**
 * Resource Graph's lag behind ARM. Resource Graph is an index fed by change notifications, usually seconds behind
 * ARM and at times much more: an assignment ARM has deleted can still be listed, a new one not yet. Frozen, the
 * `authorizationresources` table keeps serving the role assignments as they were at `freeze()`, while ARM (and the
 * other tables) answer live; `thaw()` lets the index catch up.
 */
export class ResourceGraphLag {
  private frozen: RoleAssignment[] | undefined;

  freeze(tenant: Tenant): void {
    this.frozen = [...tenant.roleAssignments.values()].map((assignment) => ({ ...assignment }));
  }

  thaw(): void {
    this.frozen = undefined;
  }

  /** The role assignments Resource Graph answers with now. */
  roleAssignments(tenant: Tenant): Iterable<RoleAssignment> {
    return this.frozen ?? tenant.roleAssignments.values();
  }
}
