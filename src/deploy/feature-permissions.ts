/**
 * What each thing the bot does needs from its identity, named by the permission features of
 * infra/data/bot-permissions.json. Tests hold the two together both ways: a capability that needs a
 * permission the file does not grant fails, and so does a grant no capability needs.
 */
export interface CodeFeature {
  /** Where the capability lives (or will live: the actions layer lands separately). */
  implementedBy: string;
  /** Permission features from bot-permissions.json. */
  needs: readonly string[];
}

export const CODE_FEATURES = {
  sweep: {
    implementedBy: 'src/pipeline/sweep.ts (timer + scanSubscriptions functions)',
    needs: ['sweep-read', 'graph-read', 'sign-in-read', 'functions-host', 'state-store'],
  },
  activityEvents: {
    implementedBy: 'functions/activityEvents.ts',
    needs: ['event-read', 'graph-read', 'functions-host', 'state-store'],
  },
  removeRoleAssignment: { implementedBy: 'src/actions/remediate', needs: ['remediate-role-assignments', 'state-store'] },
  downscopeRoleAssignment: { implementedBy: 'src/actions/remediate', needs: ['remediate-role-assignments', 'state-store'] },
  // Proving an identity unused reads what a sweep reads (resources, role assignments, app roles, directory roles).
  deleteUnattachedIdentity: { implementedBy: 'src/actions/remediate/unattached-identity.ts', needs: ['delete-identities', 'sweep-read', 'graph-read', 'state-store'] },
  // Re-reading the grant before removing it is a Graph read; restore grants it again with the same permission.
  removeGraphAppRole: { implementedBy: 'src/actions/remediate/graph-app-role.ts', needs: ['graph-app-role-remediation', 'graph-read', 'state-store'] },
  notifyEmail: { implementedBy: 'src/actions/notify', needs: ['email'] },
  notifyTeams: { implementedBy: 'src/actions/notify', needs: ['secrets'] },
  ticketsGitHub: { implementedBy: 'src/actions/tickets', needs: ['secrets', 'state-store'] },
  ticketsAzureDevOps: { implementedBy: 'src/actions/tickets', needs: ['tickets-azure-devops', 'state-store'] },
} as const satisfies Record<string, CodeFeature>;
