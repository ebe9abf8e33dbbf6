import { authorize } from '../authz/rbac.ts';
import { idKey } from '../state/ids.ts';
import type { Tenant } from '../state/tenant.ts';

/**
 * What one caller may read, as Resource Graph filters rows: the row type's read action at the row's scope,
 * checked with the emulator's RBAC and remembered per (action, scope) for the length of one query.
 */
export class Visibility {
  private readonly decisions = new Map<string, boolean>();
  private readonly identities: Set<string>;

  constructor(
    private readonly tenant: Tenant,
    private readonly principalId: string,
  ) {
    this.identities = tenant.securityIdentities(principalId);
  }

  canRead(action: string, scope: string): boolean {
    const key = `${action.toLowerCase()} ${idKey(scope)}`;
    let allowed = this.decisions.get(key);
    if (allowed === undefined) {
      allowed = authorize(this.tenant, this.principalId, action, scope, { identities: this.identities }).allowed;
      this.decisions.set(key, allowed);
    }
    return allowed;
  }
}
