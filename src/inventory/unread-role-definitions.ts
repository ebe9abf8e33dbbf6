import { roleDefinitionKey } from '../model/role-definition-key.ts';
import type { InventoryGap, RoleAssignmentRecord, RoleDefinitionRecord } from '../model/snapshot.ts';

/**
 * A gap when role assignments name role definitions the read did not return (a custom role defined where the bot
 * cannot read it): their privilege is unknown, so no finding about them is made, and the run must say it is incomplete.
 */
export function unreadRoleDefinitionsGap(assignments: readonly RoleAssignmentRecord[], definitions: readonly RoleDefinitionRecord[]): InventoryGap | undefined {
  const known = new Set(definitions.map((definition) => definition.name.toLowerCase()));
  const unread = new Set<string>();
  let affected = 0;
  for (const assignment of assignments) {
    if (known.has(roleDefinitionKey(assignment.roleDefinitionId))) continue;
    unread.add(assignment.roleDefinitionId);
    affected += 1;
  }
  if (affected === 0) return undefined;
  const named = [...unread].slice(0, 3).join(', ');
  return {
    area: 'roleDefinitions',
    reason: `${affected} role assignments name ${unread.size} role definitions that could not be read (${named}${unread.size > 3 ? ', ...' : ''}): their privilege is not judged`,
  };
}
