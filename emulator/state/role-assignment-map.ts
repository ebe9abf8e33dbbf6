import type { RoleAssignment } from './model.ts';

/**
 * The tenant's role assignments by key, indexed by principal as well. An RBAC check needs only the caller's
 * (and its groups') assignments; without the index every check walked all of them, which made each request
 * of a 100,000-assignment tenant cost tens of milliseconds and a Resource Graph page minutes.
 * It is a Map, so every way of adding or removing an assignment keeps the index right.
 */
export class RoleAssignmentMap extends Map<string, RoleAssignment> {
  /** principal id (lower case) → keys of its assignments. */
  private readonly byPrincipal = new Map<string, Set<string>>();
  /** When each key was first added: `heldBy` answers in the Map's own (insertion) order. */
  private readonly position = new Map<string, number>();
  private added = 0;

  override set(key: string, assignment: RoleAssignment): this {
    const previous = super.get(key);
    if (previous) this.byPrincipal.get(previous.principalId.toLowerCase())?.delete(key);
    else this.position.set(key, this.added++);
    const principal = assignment.principalId.toLowerCase();
    let keys = this.byPrincipal.get(principal);
    if (!keys) this.byPrincipal.set(principal, (keys = new Set()));
    keys.add(key);
    return super.set(key, assignment);
  }

  override delete(key: string): boolean {
    const previous = super.get(key);
    if (!previous) return false;
    this.byPrincipal.get(previous.principalId.toLowerCase())?.delete(key);
    this.position.delete(key);
    return super.delete(key);
  }

  override clear(): void {
    this.byPrincipal.clear();
    this.position.clear();
    super.clear();
  }

  /** The assignments held by any of these principals (lower-case ids), in insertion order. */
  heldBy(principalIds: Iterable<string>): RoleAssignment[] {
    const keys: string[] = [];
    for (const principalId of principalIds) keys.push(...(this.byPrincipal.get(principalId) ?? []));
    keys.sort((a, b) => this.position.get(a)! - this.position.get(b)!);
    return keys.map((key) => super.get(key)!);
  }
}
