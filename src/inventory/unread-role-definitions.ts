import type { InventoryGap, RoleAssignmentRecord, RoleDefinitionRecord } from '../model/snapshot.ts';

const guidOf = (roleDefinitionId: string) => roleDefinitionId.slice(roleDefinitionId.lastIndexOf('/') + 1).toLowerCase();

/**
 * A gap when role assignments name role definitions the read did not return (a custom role defined where the bot
 * cannot read it): their privilege is unknown, so no finding about them is made, and the run must say it is incomplete.
 */
export function unreadRoleDefinitionsGap(assignments: readonly RoleAssignmentRecord[], definitions: readonly RoleDefinitionRecord[]): InventoryGap | undefined {
  const known = new Set(definitions.map((definition) => definition.name.toLowerCase()));
  const unread = [...new Set(assignments.map((assignment) => assignment.roleDefinitionId).filter((id) => !known.has(guidOf(id))))];
  if (unread.length === 0) return undefined;
  const affected = assignments.filter((assignment) => !known.has(guidOf(assignment.roleDefinitionId))).length;
  const named = unread.slice(0, 3).join(', ');
  return {
    area: 'roleDefinitions',
    reason: `${affected} role assignments name ${unread.length} role definitions that could not be read (${named}${unread.length > 3 ? ', ...' : ''}): their privilege is not judged`,
  };
}
