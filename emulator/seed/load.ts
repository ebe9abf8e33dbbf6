import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { catalog } from '../data/catalog.ts';
import { canonicalPath, deriveGuid, fullResourceType, idKey, parseScope, type ParsedScope } from '../state/ids.ts';
import { roleAssignmentId, Tenant } from '../state/tenant.ts';
import type { PrincipalType, RoleDefinition } from '../state/model.ts';
import { SeedSchema, type Seed } from './schema.ts';

export interface SeedProblem {
  /** JSON path, e.g. `$.roleAssignments[3].role`. */
  path: string;
  message: string;
}

/** A seed refused as a whole, with every problem found. */
export class SeedError extends Error {
  override readonly name = 'SeedError';
  constructor(
    readonly problems: SeedProblem[],
    readonly source?: string,
  ) {
    super(`invalid seed${source ? ` ${source}` : ''}:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
  }
}

/** Times not given in a seed default to this instant, so a seed loads the same way every time. */
export const SEED_EPOCH = new Date('2026-01-01T00:00:00Z');

const jsonPath = (path: readonly PropertyKey[]) =>
  '$' + path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('');

export function loadSeedFile(file: string): Tenant {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SeedError([{ path: '$', message: `not readable JSON: ${(error as Error).message}` }], file);
  }
  return buildTenant(raw, file);
}

/** Validates a seed and builds the tenant it describes; throws SeedError listing every problem. */
export function buildTenant(raw: unknown, source?: string): Tenant {
  const parsed = SeedSchema.safeParse(raw);
  if (!parsed.success) throw new SeedError(parsed.error.issues.flatMap(schemaProblems), source);
  const problems: SeedProblem[] = [];
  const tenant = populate(parsed.data, problems);
  if (problems.length > 0) throw new SeedError(problems, source);
  return tenant;
}

/** A misspelt key is reported at its own path, so the message points at the word to fix. */
function schemaProblems(issue: z.core.$ZodIssue): SeedProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: jsonPath([...issue.path, key]), message: `unknown key '${key}'` }));
  }
  return [{ path: jsonPath(issue.path), message: issue.message }];
}

const at = (value: string | undefined) => (value ? new Date(value) : SEED_EPOCH);

function populate(seed: Seed, problems: SeedProblem[]): Tenant {
  const problem = (path: string, message: string) => problems.push({ path, message });
  const tenant = new Tenant(seed.tenantId, seed.bot);
  const { roles, graphAppRoles, directoryRoles } = catalog();

  // Management groups, then which subscription sits where.
  const subscriptionGroup = new Map<string, string>();
  seed.managementGroups.forEach((group, i) => {
    const key = group.name.toLowerCase();
    if (tenant.managementGroups.has(key)) {
      const what = key === seed.tenantId.toLowerCase() ? 'is the tenant root group' : 'is declared twice';
      problem(`$.managementGroups[${i}].name`, `management group '${group.name}' ${what}`);
      return;
    }
    tenant.managementGroups.set(key, { name: group.name, displayName: group.displayName ?? group.name, parent: group.parent ?? seed.tenantId });
    group.subscriptions.forEach((subscriptionId, j) => {
      if (subscriptionGroup.has(subscriptionId.toLowerCase())) problem(`$.managementGroups[${i}].subscriptions[${j}]`, `subscription ${subscriptionId} is in two management groups`);
      subscriptionGroup.set(subscriptionId.toLowerCase(), group.name);
    });
  });
  seed.managementGroups.forEach((group, i) => {
    if (group.parent && !tenant.managementGroups.has(group.parent.toLowerCase())) problem(`$.managementGroups[${i}].parent`, `unknown management group '${group.parent}'`);
  });
  checkManagementGroupHierarchy(tenant, seed, problem);

  seed.subscriptions.forEach((subscription, i) => {
    const key = subscription.subscriptionId.toLowerCase();
    if (tenant.subscriptions.has(key)) problem(`$.subscriptions[${i}].subscriptionId`, `subscription ${subscription.subscriptionId} is declared twice`);
    tenant.subscriptions.set(key, {
      subscriptionId: subscription.subscriptionId,
      displayName: subscription.displayName,
      managementGroup: subscriptionGroup.get(key) ?? seed.tenantId,
    });
    subscription.resourceGroups.forEach((entry, j) => {
      const group = typeof entry === 'string' ? { name: entry } : entry;
      const id = `/subscriptions/${subscription.subscriptionId}/resourceGroups/${group.name}`;
      if (tenant.resourceGroups.has(idKey(id))) problem(`$.subscriptions[${i}].resourceGroups[${j}]`, `resource group '${group.name}' is declared twice`);
      tenant.resourceGroups.set(idKey(id), { id, subscriptionId: subscription.subscriptionId, name: group.name, location: group.location ?? 'westeurope', tags: group.tags ?? {} });
    });
  });
  for (const [i, group] of seed.managementGroups.entries()) {
    group.subscriptions.forEach((subscriptionId, j) => {
      if (!tenant.subscriptions.has(subscriptionId.toLowerCase())) problem(`$.managementGroups[${i}].subscriptions[${j}]`, `unknown subscription ${subscriptionId}`);
    });
  }

  // Role definitions: the built-ins, then the seed's custom roles.
  for (const role of roles) {
    tenant.roleDefinitions.set(role.name.toLowerCase(), {
      name: role.name,
      roleName: role.roleName,
      roleType: 'BuiltInRole',
      description: role.description,
      assignableScopes: role.assignableScopes,
      permissions: role.permissions.map(({ actions, notActions, dataActions, notDataActions }) => ({ actions, notActions, dataActions, notDataActions })),
      createdOn: new Date('2015-02-02T21:55:09.8806423Z'),
      updatedOn: new Date('2024-01-01T00:00:00Z'),
    });
  }
  seed.roleDefinitions.forEach((role, i) => {
    if (tenant.roleDefinitions.has(role.id.toLowerCase())) problem(`$.roleDefinitions[${i}].id`, `role definition ${role.id} already exists`);
    if (tenant.roleDefinitionByRoleName(role.roleName)) problem(`$.roleDefinitions[${i}].roleName`, `a role named '${role.roleName}' already exists`);
    role.assignableScopes.forEach((scope, j) => {
      const kind = parseScope(scope)?.kind;
      if (kind !== 'managementGroup' && kind !== 'subscription' && kind !== 'resourceGroup') {
        problem(`$.roleDefinitions[${i}].assignableScopes[${j}]`, `'${scope}' is not a management group, subscription or resource group scope (custom roles cannot use '/' or a resource)`);
      } else if (!tenant.scopeExists(scope)) {
        problem(`$.roleDefinitions[${i}].assignableScopes[${j}]`, `scope '${scope}' does not exist in the seed`);
      }
    });
    tenant.roleDefinitions.set(role.id.toLowerCase(), {
      name: role.id,
      roleName: role.roleName,
      roleType: 'CustomRole',
      description: role.description ?? '',
      assignableScopes: role.assignableScopes.map(canonicalPath),
      permissions: role.permissions,
      createdOn: SEED_EPOCH,
      updatedOn: SEED_EPOCH,
    });
  });

  // Directory: Microsoft Graph's own service principal, directory roles, users, groups, application principals.
  const graph = {
    id: deriveGuid('microsoft-graph', seed.tenantId),
    appId: '00000003-0000-0000-c000-000000000000',
    displayName: 'Microsoft Graph',
    servicePrincipalType: 'Application' as const,
    alternativeNames: [],
    servicePrincipalNames: ['00000003-0000-0000-c000-000000000000/ags.windows.net', '00000003-0000-0000-c000-000000000000', 'https://graph.microsoft.com'],
    appRoles: graphAppRoles.map((role) => ({ ...role, allowedMemberTypes: ['Application'], isEnabled: true, origin: 'Application' as const })),
    accountEnabled: true,
    createdDateTime: SEED_EPOCH,
  };
  tenant.servicePrincipals.set(graph.id, graph);
  for (const role of directoryRoles) tenant.directoryRoles.set(role.templateId.toLowerCase(), role);

  const seenObjectIds = new Map<string, string>([[graph.id, '$ (Microsoft Graph)']]);
  const claimObjectId = (id: string, path: string) => {
    const previous = seenObjectIds.get(id.toLowerCase());
    if (previous) problem(path, `object id ${id} is already used at ${previous}`);
    seenObjectIds.set(id.toLowerCase(), path);
  };
  seed.users.forEach((user, i) => {
    claimObjectId(user.id, `$.users[${i}].id`);
    tenant.users.set(user.id.toLowerCase(), user);
  });
  seed.groups.forEach((group, i) => {
    claimObjectId(group.id, `$.groups[${i}].id`);
    tenant.groups.set(group.id.toLowerCase(), { ...group, securityEnabled: true });
  });
  seed.servicePrincipals.forEach((principal, i) => {
    claimObjectId(principal.id, `$.servicePrincipals[${i}].id`);
    tenant.servicePrincipals.set(principal.id.toLowerCase(), {
      id: principal.id,
      appId: principal.appId ?? deriveGuid('appId', principal.id),
      displayName: principal.displayName,
      servicePrincipalType: principal.servicePrincipalType,
      alternativeNames: principal.alternativeNames,
      servicePrincipalNames: [principal.appId ?? deriveGuid('appId', principal.id)],
      appRoles: [],
      accountEnabled: true,
      createdDateTime: at(principal.createdAt),
    });
  });
  seed.deletedServicePrincipals.forEach((principal, i) => {
    claimObjectId(principal.id, `$.deletedServicePrincipals[${i}].id`);
    tenant.deletedServicePrincipals.set(principal.id.toLowerCase(), {
      id: principal.id,
      appId: principal.appId ?? deriveGuid('appId', principal.id),
      displayName: principal.displayName,
      servicePrincipalType: principal.servicePrincipalType,
      alternativeNames: principal.alternativeNames,
      servicePrincipalNames: [],
      appRoles: [],
      accountEnabled: false,
      createdDateTime: at(principal.createdAt),
      deletedDateTime: new Date(principal.deletedDateTime),
    });
  });

  // Managed identities: user-assigned ones, then resources with their identity blocks.
  seed.userAssignedIdentities.forEach((identity, i) => {
    const parsed = parseScope(identity.id);
    if (!parsed || parsed.kind !== 'resource' || !isUserAssignedIdentityType(parsed)) {
      problem(`$.userAssignedIdentities[${i}].id`, `'${identity.id}' is not a Microsoft.ManagedIdentity/userAssignedIdentities resource id`);
      return;
    }
    if (!tenant.resourceGroups.has(idKey(`/subscriptions/${parsed.subscriptionId}/resourceGroups/${parsed.resourceGroup}`))) {
      problem(`$.userAssignedIdentities[${i}].id`, `resource group '${parsed.resourceGroup}' of subscription ${parsed.subscriptionId} is not in the seed`);
      return;
    }
    if (tenant.userAssignedIdentity(identity.id)) {
      problem(`$.userAssignedIdentities[${i}].id`, `identity '${identity.id}' is declared twice`);
      return;
    }
    const principalId = identity.principalId ?? deriveGuid('uami-principal', idKey(identity.id));
    claimObjectId(principalId, `$.userAssignedIdentities[${i}].principalId`);
    tenant.createUserAssignedIdentity(
      { id: identity.id, location: identity.location ?? 'westeurope', tags: identity.tags ?? {}, principalId, clientId: identity.clientId ?? deriveGuid('uami-client', idKey(identity.id)) },
      at(identity.createdAt),
    );
  });
  seed.resources.forEach((resource, i) => {
    const parsed = parseScope(resource.id);
    if (!parsed || parsed.kind !== 'resource') {
      problem(`$.resources[${i}].id`, `'${resource.id}' is not an ARM resource id`);
      return;
    }
    if (isUserAssignedIdentityType(parsed)) {
      problem(`$.resources[${i}].id`, `'${resource.id}' is a user-assigned identity: declare it under userAssignedIdentities`);
      return;
    }
    if (!tenant.resourceGroups.has(idKey(`/subscriptions/${parsed.subscriptionId}/resourceGroups/${parsed.resourceGroup}`))) {
      problem(`$.resources[${i}].id`, `resource group '${parsed.resourceGroup}' of subscription ${parsed.subscriptionId} is not in the seed`);
      return;
    }
    if (tenant.resource(resource.id)) {
      problem(`$.resources[${i}].id`, `resource '${resource.id}' is declared twice`);
      return;
    }
    const problemsBefore = problems.length;
    const type = resource.identity?.type.replace(/\s/g, '').toLowerCase() ?? 'none';
    const systemAssigned = type.includes('systemassigned');
    const userAssigned = resource.identity?.userAssignedIdentities ?? [];
    if (type.includes('userassigned') && userAssigned.length === 0) problem(`$.resources[${i}].identity.userAssignedIdentities`, `type '${resource.identity?.type}' needs at least one user-assigned identity`);
    userAssigned.forEach((uami, j) => {
      if (!tenant.userAssignedIdentity(uami)) problem(`$.resources[${i}].identity.userAssignedIdentities[${j}]`, `unknown user-assigned identity '${uami}'`);
    });
    if (!type.includes('userassigned') && userAssigned.length > 0) problem(`$.resources[${i}].identity.type`, `type '${resource.identity?.type}' does not include UserAssigned but identities are listed`);
    if (!systemAssigned && resource.identity?.principalId) problem(`$.resources[${i}].identity.principalId`, 'a principalId is only for a system-assigned identity');
    const principalId = systemAssigned ? (resource.identity?.principalId ?? deriveGuid('system-assigned', idKey(resource.id))) : undefined;
    if (principalId) claimObjectId(principalId, `$.resources[${i}].identity.principalId`);
    if (problems.length > problemsBefore) return;
    tenant.putResource(
      {
        id: resource.id,
        location: resource.location ?? 'westeurope',
        tags: resource.tags ?? {},
        ...(resource.identity ? { identity: { systemAssigned, userAssigned, ...(principalId ? { principalId } : {}) } } : {}),
      },
      at(resource.createdAt),
    );
  });

  checkBot(tenant, seed, problem);
  checkGroups(tenant, seed, problem);

  // Grants: Azure role assignments, Graph app roles, directory roles, sign-in activity.
  const overLimit = roleAssignmentLimits();
  const assignmentTriples = new Map<string, number>();
  seed.roleAssignments.forEach((assignment, i) => {
    const path = `$.roleAssignments[${i}]`;
    const problemsBefore = problems.length;
    const role = resolveRole(tenant, assignment.role);
    if (!role) problem(`${path}.role`, `unknown role '${assignment.role}' (a built-in role name, a custom role name from this seed, or a role definition GUID)`);
    const scope = canonicalPath(assignment.scope);
    if (!parseScope(scope)) problem(`${path}.scope`, `'${assignment.scope}' is not an ARM scope`);
    else if (!tenant.scopeExists(scope)) problem(`${path}.scope`, `scope '${assignment.scope}' does not exist in the seed`);
    else if (role && !tenant.isAssignableAt(role, scope)) problem(`${path}.role`, `role '${role.roleName}' is not assignable at '${assignment.scope}'`);
    if (!role || problems.length > problemsBefore) return;
    const name = assignment.name ?? deriveGuid('roleAssignment', idKey(scope), role.name, assignment.principalId.toLowerCase());
    if (tenant.roleAssignment(roleAssignmentId(scope, name))) {
      problem(`${path}.name`, `role assignment ${name} at '${scope}' is declared twice`);
      return;
    }
    // ARM refuses a second assignment of the same role to the same principal at the same scope (RoleAssignmentExists).
    const triple = `${idKey(scope)}|${role.name.toLowerCase()}|${assignment.principalId.toLowerCase()}`;
    const earlier = assignmentTriples.get(triple);
    if (earlier !== undefined) {
      problem(path, `the same role, principal and scope as $.roleAssignments[${earlier}] (ARM allows one such assignment)`);
      return;
    }
    assignmentTriples.set(triple, i);
    const limit = overLimit(scope);
    if (limit) {
      problem(`${path}.scope`, limit);
      return;
    }
    const principal = tenant.directoryObject(assignment.principalId);
    const principalType: PrincipalType = assignment.principalType ?? (principal?.kind === 'user' ? 'User' : principal?.kind === 'group' ? 'Group' : 'ServicePrincipal');
    const createdOn = at(assignment.createdOn);
    tenant.roleAssignments.set(idKey(roleAssignmentId(scope, name)), {
      id: roleAssignmentId(scope, name),
      name,
      scope,
      roleDefinitionName: role.name,
      principalId: assignment.principalId,
      principalType,
      condition: assignment.condition ?? null,
      conditionVersion: assignment.condition ? (assignment.conditionVersion ?? '2.0') : null,
      description: assignment.description ?? null,
      createdOn,
      updatedOn: createdOn,
      createdBy: assignment.createdBy ?? null,
      updatedBy: assignment.createdBy ?? null,
    });
  });

  const grantedAppRoles = new Map<string, number>();
  seed.appRoleAssignments.forEach((grant, i) => {
    const appRole = graph.appRoles.find((role) => role.value.toLowerCase() === grant.permission.toLowerCase());
    if (!appRole) problem(`$.appRoleAssignments[${i}].permission`, `unknown Microsoft Graph application permission '${grant.permission}'`);
    if (!tenant.servicePrincipals.has(grant.principalId.toLowerCase())) problem(`$.appRoleAssignments[${i}].principalId`, `no service principal ${grant.principalId} in the seed`);
    if (!appRole) return;
    const key = `${grant.principalId.toLowerCase()}|${appRole.id}`;
    const earlier = grantedAppRoles.get(key);
    if (earlier !== undefined) problem(`$.appRoleAssignments[${i}]`, `'${grant.permission}' is already granted to ${grant.principalId} at $.appRoleAssignments[${earlier}]`);
    grantedAppRoles.set(key, i);
    if (problems.length === 0) tenant.grantAppRole(grant.principalId, appRole.id, graph.id, at(grant.createdAt));
  });

  seed.directoryRoleAssignments.forEach((grant, i) => {
    const role = [...tenant.directoryRoles.values()].find((r) => r.displayName.toLowerCase() === grant.role.toLowerCase());
    if (!role) {
      problem(`$.directoryRoleAssignments[${i}].role`, `unknown Microsoft Entra built-in role '${grant.role}'`);
      return;
    }
    const principal = tenant.directoryObject(grant.principalId);
    if (!principal) problem(`$.directoryRoleAssignments[${i}].principalId`, `no user, group or service principal ${grant.principalId} in the seed`);
    if (principal?.kind === 'group' && !principal.object.isAssignableToRole) {
      problem(`$.directoryRoleAssignments[${i}].principalId`, `group '${principal.object.displayName}' is not role-assignable: Entra assigns directory roles only to groups created with isAssignableToRole`);
    }
    const id = Buffer.from(deriveGuid('directoryRoleAssignment', role.templateId, grant.principalId.toLowerCase()).replaceAll('-', ''), 'hex').toString('base64url');
    if (tenant.directoryRoleAssignments.has(id)) {
      problem(`$.directoryRoleAssignments[${i}]`, `'${role.displayName}' is already assigned to ${grant.principalId}`);
      return;
    }
    tenant.directoryRoleAssignments.set(id, { id, principalId: grant.principalId, roleDefinitionId: role.templateId, directoryScopeId: '/' });
  });

  seed.signInActivity.forEach((entry, i) => {
    const principal = entry.principalId ? tenant.servicePrincipals.get(entry.principalId.toLowerCase()) : tenant.servicePrincipalByAppId(entry.appId!);
    if (!principal) {
      problem(`$.signInActivity[${i}].${entry.principalId ? 'principalId' : 'appId'}`, `no service principal ${entry.principalId ?? entry.appId} in the seed`);
      return;
    }
    if (entry.appId && principal.appId.toLowerCase() !== entry.appId.toLowerCase()) problem(`$.signInActivity[${i}].appId`, `appId does not belong to principal ${entry.principalId}`);
    tenant.lastSignIn.set(principal.appId.toLowerCase(), new Date(entry.lastSignIn));
  });

  return tenant;
}

function resolveRole(tenant: Tenant, role: string): RoleDefinition | undefined {
  return tenant.roleDefinitionByRoleName(role) ?? tenant.roleDefinition(role);
}


type ProblemSink = (path: string, message: string) => void;

const isUserAssignedIdentityType = (parsed: ParsedScope) => fullResourceType(parsed).toLowerCase() === 'microsoft.managedidentity/userassignedidentities';

/** Azure allows six levels of management groups below the root; a cycle would make every scope walk loop. */
const MAX_MANAGEMENT_GROUP_DEPTH = 6;

function checkManagementGroupHierarchy(tenant: Tenant, seed: Seed, problem: ProblemSink): void {
  const root = tenant.rootManagementGroup.toLowerCase();
  seed.managementGroups.forEach((declared, i) => {
    const seen = new Set<string>();
    let key: string | undefined = declared.name.toLowerCase();
    while (key !== undefined && key !== root) {
      if (seen.has(key)) {
        problem(`$.managementGroups[${i}].parent`, `management groups form a cycle through '${declared.name}'`);
        // Cut the cycle so later scope walks end; the seed is refused anyway.
        tenant.managementGroups.get(declared.name.toLowerCase())!.parent = tenant.rootManagementGroup;
        return;
      }
      seen.add(key);
      key = tenant.managementGroups.get(key)?.parent?.toLowerCase();
    }
    if (seen.size > MAX_MANAGEMENT_GROUP_DEPTH) {
      problem(`$.managementGroups[${i}].parent`, `'${declared.name}' is ${seen.size} levels below the tenant root; Azure allows ${MAX_MANAGEMENT_GROUP_DEPTH}`);
    }
  });
}

/** The bot signs in as a service principal, and its tokens carry its clientId as the appId. */
function checkBot(tenant: Tenant, seed: Seed, problem: ProblemSink): void {
  const principal = tenant.servicePrincipals.get(seed.bot.principalId.toLowerCase());
  if (!principal) {
    problem('$.bot.principalId', "the bot must be in the seed: a user-assigned identity's principalId, a resource's system-assigned principalId, or a servicePrincipals entry");
    return;
  }
  if (principal.appId.toLowerCase() === seed.bot.clientId.toLowerCase()) return;
  if (principal.servicePrincipalType === 'ManagedIdentity' && principal.alternativeNames.includes('isExplicit=False')) {
    // A system-assigned identity's appId is not in the seed: the bot's clientId is it.
    principal.appId = seed.bot.clientId;
    principal.servicePrincipalNames[0] = seed.bot.clientId;
    return;
  }
  problem('$.bot.clientId', `the bot's clientId must be the appId of its service principal (${principal.appId})`);
}

/** Members must exist (Entra removes deleted objects from groups); role-assignable groups cannot nest groups. */
function checkGroups(tenant: Tenant, seed: Seed, problem: ProblemSink): void {
  seed.groups.forEach((group, i) => {
    group.members.forEach((memberId, j) => {
      const member = tenant.directoryObject(memberId);
      if (!member) problem(`$.groups[${i}].members[${j}]`, `no user, group or service principal ${memberId} in the seed`);
      else if (member.kind === 'group' && member.object.id.toLowerCase() === group.id.toLowerCase()) problem(`$.groups[${i}].members[${j}]`, 'a group cannot be a member of itself');
      else if (member.kind === 'group' && group.isAssignableToRole) problem(`$.groups[${i}].members[${j}]`, `role-assignable group '${group.displayName}' cannot contain groups`);
    });
  });
}

/** Azure's role-assignment limits: 4,000 per subscription (all scopes in it) and 500 per management group. */
function roleAssignmentLimits(): (scope: string) => string | undefined {
  const counts = new Map<string, number>();
  return (scope) => {
    const parsed = parseScope(scope);
    const [key, limit, where] = parsed?.subscriptionId
      ? [`subscription ${parsed.subscriptionId.toLowerCase()}`, 4000, `subscription ${parsed.subscriptionId}`]
      : parsed?.kind === 'managementGroup'
        ? [`managementGroup ${parsed.managementGroup!.toLowerCase()}`, 500, `management group '${parsed.managementGroup}'`]
        : [undefined, Infinity, ''];
    if (key === undefined) return undefined;
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    return count > limit ? `more than ${limit} role assignments in ${where} (Azure's limit)` : undefined;
  };
}
