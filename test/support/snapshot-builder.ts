import { createHash } from 'node:crypto';
import { catalog } from '../../emulator/data/catalog.ts';
import type { FindingDraft, Rule, RuleContext } from '../../src/rules/rule.ts';
import { indexSnapshot } from '../../src/rules/snapshot-index.ts';
import type {
  InventoryGap,
  PrincipalKind,
  PrincipalRecord,
  PrincipalState,
  RoleDefinitionRecord,
  RolePermission,
  Snapshot,
} from '../../src/model/snapshot.ts';
import { TENANT_ID } from './ids.ts';

/**
 * Hand-written snapshots for rule tests: a few lines per scenario, real built-in role definitions and real
 * Graph app-role / Entra role ids (from the emulator's verified data), everything else explicit.
 */

export const AS_OF = new Date('2026-06-01T12:00:00.000Z');

/** `AS_OF` shifted by hours (negative: earlier), as an ISO string. */
export const hoursBefore = (hours: number) => new Date(AS_OF.getTime() - hours * 3_600_000).toISOString();
export const daysBefore = (days: number) => hoursBefore(days * 24);

export const builtInRoles = (): RoleDefinitionRecord[] =>
  catalog().roles.map((role) => ({
    name: role.name,
    roleName: role.roleName,
    roleType: 'BuiltInRole',
    assignableScopes: role.assignableScopes,
    permissions: role.permissions.map((permission) => ({ ...permission, condition: permission.condition ?? null })),
  }));

export const builtInRoleId = (roleName: string) => {
  const role = catalog().roles.find((candidate) => candidate.roleName === roleName);
  if (!role) throw new Error(`no built-in role ${roleName} in emulator/data`);
  return role.name;
};

const stableGuid = (...parts: string[]) => {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

interface AssignOptions {
  createdOn?: string | null;
  condition?: string | null;
  principalType?: string;
  name?: string;
}

export class SnapshotBuilder {
  readonly snapshot: Snapshot = {
    tenantId: TENANT_ID,
    takenAt: AS_OF.toISOString(),
    subscriptions: [],
    managementGroups: [],
    roleDefinitions: builtInRoles(),
    roleAssignments: [],
    userAssignedIdentities: [],
    identityHolders: [],
    managedIdentityPrincipals: [],
    principals: {},
    appRoleGrants: [],
    directoryRoleAssignments: [],
    groups: [],
    memberOf: {},
    lastSignIns: {},
    gaps: [],
  };
  private readonly members = new Map<string, string[]>();

  /** A swept subscription with the management groups above it, nearest first. */
  subscription(subscriptionId: string, managementGroupChain: string[] = [], displayName: string | null = null): this {
    this.snapshot.subscriptions.push({ subscriptionId, displayName, managementGroupChain });
    return this;
  }

  /** A user-assigned identity with its managed-identity service principal. */
  userAssignedIdentity(id: string, principalId: string, options: { createdAt?: string | null; clientId?: string } = {}): this {
    const [, subscriptionId = '', , resourceGroup = ''] = id.split('/').filter(Boolean);
    const clientId = options.clientId ?? stableGuid('client', principalId);
    const name = id.split('/').pop()!;
    this.snapshot.userAssignedIdentities.push({
      id,
      name,
      subscriptionId,
      resourceGroup,
      location: 'westeurope',
      principalId,
      clientId,
      createdAt: options.createdAt === undefined ? daysBefore(400) : options.createdAt,
      tags: {},
    });
    return this.managedIdentityPrincipal(principalId, id, 'userAssigned', { appId: clientId, displayName: name });
  }

  /** A resource with a system-assigned identity (and its service principal) and/or user-assigned ones. */
  resource(id: string, options: { systemAssignedPrincipalId?: string; userAssigned?: string[]; createdAt?: string | null } = {}): this {
    const [, subscriptionId = '', , resourceGroup = ''] = id.split('/').filter(Boolean);
    const segments = id.split('/');
    this.snapshot.identityHolders.push({
      id,
      name: segments[segments.length - 1]!,
      type: `${segments[segments.length - 3]}/${segments[segments.length - 2]}`,
      subscriptionId,
      resourceGroup,
      systemAssignedPrincipalId: options.systemAssignedPrincipalId ?? null,
      userAssignedIdentityIds: options.userAssigned ?? [],
      createdAt: options.createdAt === undefined ? daysBefore(400) : options.createdAt,
    });
    if (options.systemAssignedPrincipalId) this.managedIdentityPrincipal(options.systemAssignedPrincipalId, id, 'systemAssigned', { displayName: segments[segments.length - 1]! });
    return this;
  }

  /** Only the Graph side of a managed identity (e.g. one left behind by a deleted resource). */
  managedIdentityPrincipal(
    principalId: string,
    resourceId: string | null,
    type: 'systemAssigned' | 'userAssigned',
    options: { appId?: string; displayName?: string } = {},
  ): this {
    const principal: PrincipalRecord = {
      id: principalId,
      kind: 'managedIdentity',
      displayName: options.displayName ?? null,
      appId: options.appId ?? stableGuid('app', principalId),
      managedIdentityResourceId: resourceId,
      managedIdentityType: type,
    };
    this.snapshot.managedIdentityPrincipals.push(principal);
    this.snapshot.principals[principalId] = { state: 'found', principal };
    return this;
  }

  /** A directory principal that is not a managed identity. */
  principal(principalId: string, kind: Exclude<PrincipalKind, 'managedIdentity'>, displayName: string | null = null): this {
    this.snapshot.principals[principalId] = {
      state: 'found',
      principal: { id: principalId, kind, displayName, appId: kind === 'application' ? stableGuid('app', principalId) : null, managedIdentityResourceId: null, managedIdentityType: null },
    };
    return this;
  }

  group(groupId: string, displayName: string, members: string[]): this {
    this.snapshot.groups.push({ id: groupId, displayName });
    this.members.set(groupId, members);
    return this.principal(groupId, 'group', displayName);
  }

  principalState(principalId: string, state: PrincipalState): this {
    this.snapshot.principals[principalId] = state;
    return this;
  }

  customRole(name: string, roleName: string, permissions: Partial<RolePermission>[], assignableScopes: string[] = ['/']): this {
    this.snapshot.roleDefinitions.push({
      name,
      roleName,
      roleType: 'CustomRole',
      assignableScopes,
      permissions: permissions.map((permission) => ({ actions: [], notActions: [], dataActions: [], notDataActions: [], condition: null, ...permission })),
    });
    return this;
  }

  /** Assigns a role (built-in name, custom role name or GUID) and returns the builder; ids are derived and stable. */
  assign(principalId: string, role: string, scope: string, options: AssignOptions = {}): this {
    const definition = this.snapshot.roleDefinitions.find((candidate) => candidate.roleName === role || candidate.name === role);
    const guid = definition?.name ?? role;
    const subscription = /^\/subscriptions\/[^/]+/i.exec(scope)?.[0] ?? '';
    const name = options.name ?? stableGuid('assignment', principalId, role, scope);
    this.snapshot.roleAssignments.push({
      id: `${scope === '/' ? '' : scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
      name,
      scope,
      roleDefinitionId: `${subscription}/providers/Microsoft.Authorization/roleDefinitions/${guid}`,
      principalId,
      principalType: options.principalType ?? 'ServicePrincipal',
      condition: options.condition ?? null,
      createdOn: options.createdOn === undefined ? daysBefore(30) : options.createdOn,
      createdBy: null,
    });
    return this;
  }

  /** A Microsoft Graph application permission, by value; `resolved: false` leaves `permission` null as an inventory without the Graph role map would. */
  grant(principalId: string, permission: string, options: { resourceDisplayName?: string | null; resolved?: boolean } = {}): this {
    const appRole = catalog().graphAppRoles.find((role) => role.value === permission);
    if (!appRole) throw new Error(`no Graph app role ${permission} in emulator/data`);
    this.snapshot.appRoleGrants.push({
      id: stableGuid('grant', principalId, permission),
      principalId,
      resourceId: 'a0f1d2e3-0000-4000-8000-00000000a9a9',
      resourceDisplayName: options.resourceDisplayName === undefined ? 'Microsoft Graph' : options.resourceDisplayName,
      appRoleId: appRole.id,
      permission: options.resolved === false ? null : appRole.value,
      createdDateTime: daysBefore(10),
    });
    return this;
  }

  directoryRole(principalId: string, roleName: string, directoryScopeId = '/'): this {
    const role = catalog().directoryRoles.find((candidate) => candidate.displayName === roleName);
    if (!role) throw new Error(`no directory role ${roleName} in emulator/data`);
    this.snapshot.directoryRoleAssignments.push({
      id: stableGuid('directory-role', principalId, roleName, directoryScopeId),
      principalId,
      roleTemplateId: role.templateId,
      roleDisplayName: role.displayName,
      directoryScopeId,
    });
    return this;
  }

  signIn(appId: string, at: string): this {
    this.snapshot.lastSignIns![appId.toLowerCase()] = at;
    return this;
  }

  signInsUnavailable(): this {
    this.snapshot.lastSignIns = null;
    return this;
  }

  gap(area: InventoryGap['area'], scope?: string): this {
    this.snapshot.gaps.push({ area, ...(scope ? { scope } : {}), reason: 'test: lookup failed', statusCode: 503 });
    return this;
  }

  /** The snapshot, with transitive memberOf worked out from the groups' members. */
  build(): Snapshot {
    const memberOf: Record<string, string[]> = {};
    const containing = (id: string) => [...this.members].filter(([, members]) => members.includes(id)).map(([groupId]) => groupId);
    for (const member of new Set([...this.members.values()].flat())) {
      const seen = new Set<string>();
      const queue = containing(member);
      while (queue.length > 0) {
        const groupId = queue.shift()!;
        if (seen.has(groupId)) continue;
        seen.add(groupId);
        queue.push(...containing(groupId));
      }
      memberOf[member] = [...seen];
    }
    return structuredClone({ ...this.snapshot, memberOf });
  }
}

export const snapshot = () => new SnapshotBuilder();

/** The app id a builder gave a principal (for sign-in data). */
export const appIdOf = (built: Snapshot, principalId: string) => {
  const state = built.principals[principalId];
  return state?.state === 'found' ? state.principal.appId! : undefined;
};

/** Runs one rule the way evaluateRules does: params through the rule's schema (defaults filled), as of AS_OF. */
export function runRule(rule: Rule, built: Snapshot, params: object = {}, context: Partial<RuleContext> = {}): FindingDraft[] {
  const workloadKinds: ReadonlySet<PrincipalKind> = new Set<PrincipalKind>(['managedIdentity']);
  return rule.evaluate(indexSnapshot(built), rule.params.parse(params), { asOf: AS_OF, tenantId: TENANT_ID, workloadKinds, ...context });
}
