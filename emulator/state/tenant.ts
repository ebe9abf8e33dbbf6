import { randomUUID } from 'node:crypto';
import { EmulatorHttpError } from '../server/errors.ts';
import { canonicalPath, deriveGuid, idKey, parseScope, type ParsedScope } from './ids.ts';
import { RoleAssignmentMap } from './role-assignment-map.ts';
import type {
  AppRoleAssignment,
  DirectoryObject,
  DirectoryRoleAssignment,
  DirectoryRoleDefinition,
  FederatedIdentityCredential,
  GenericResource,
  Group,
  ManagementGroup,
  Permission,
  PrincipalType,
  ResourceGroup,
  ResourceIdentity,
  RoleAssignment,
  RoleDefinition,
  ServicePrincipal,
  Subscription,
  User,
  UserAssignedIdentity,
} from './model.ts';

export const MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const ROLE_ASSIGNMENTS = '/providers/Microsoft.Authorization/roleAssignments/';

export interface BotIdentity {
  principalId: string;
  clientId: string;
}

export interface RoleAssignmentQuery {
  /** Only assignments at the scope or inherited from above it (ARM `atScope()`). */
  atScope?: boolean;
  /** Only these principals (ARM `principalId eq` is one id; `assignedTo()` adds the principal's groups). */
  principalIds?: Set<string>;
}

export interface NewRoleAssignment {
  scope: string;
  name: string;
  roleDefinitionId: string;
  principalId: string;
  principalType?: PrincipalType;
  condition?: string | null;
  conditionVersion?: string | null;
  description?: string | null;
  createdBy?: string | null;
  createdOn?: Date;
}

/**
 * One Entra tenant with its Azure estate: the state the ARM and Graph routes read and change.
 * Keys are lower-cased ids; objects keep the casing they were created with.
 */
export class Tenant {
  readonly managementGroups = new Map<string, ManagementGroup>();
  readonly subscriptions = new Map<string, Subscription>();
  readonly resourceGroups = new Map<string, ResourceGroup>();
  readonly resources = new Map<string, GenericResource>();
  readonly userAssignedIdentities = new Map<string, UserAssignedIdentity>();
  readonly roleDefinitions = new Map<string, RoleDefinition>();
  readonly roleAssignments = new RoleAssignmentMap();
  readonly servicePrincipals = new Map<string, ServicePrincipal>();
  readonly deletedServicePrincipals = new Map<string, ServicePrincipal>();
  readonly users = new Map<string, User>();
  readonly groups = new Map<string, Group>();
  readonly appRoleAssignments = new Map<string, AppRoleAssignment>();
  readonly directoryRoles = new Map<string, DirectoryRoleDefinition>();
  readonly directoryRoleAssignments = new Map<string, DirectoryRoleAssignment>();
  /** Last sign-in per service principal appId. */
  readonly lastSignIn = new Map<string, Date>();
  /** Federated identity credentials, keyed by the identity's id key, then by lower-cased credential name. */
  readonly federatedIdentityCredentials = new Map<string, Map<string, FederatedIdentityCredential>>();

  constructor(
    readonly tenantId: string,
    readonly bot: BotIdentity,
  ) {
    this.managementGroups.set(tenantId.toLowerCase(), { name: tenantId, displayName: 'Tenant Root Group', parent: undefined });
  }

  // ---- scopes ----

  get rootManagementGroup(): string {
    return this.tenantId;
  }

  /** The scope itself, then every scope it inherits from, ending with "/". */
  ancestors(scope: string): string[] {
    const chain: string[] = [];
    let current: string | undefined = canonicalPath(scope);
    while (current !== undefined) {
      chain.push(current);
      current = this.parentScope(current);
    }
    return chain;
  }

  parentScope(scope: string): string | undefined {
    const parsed = parseScope(scope);
    if (!parsed) return undefined;
    switch (parsed.kind) {
      case 'root':
        return undefined;
      case 'managementGroup': {
        const group = this.managementGroups.get(parsed.managementGroup!.toLowerCase());
        if (!group || group.parent === undefined) return '/';
        return managementGroupScope(group.parent);
      }
      case 'subscription': {
        const subscription = this.subscriptions.get(parsed.subscriptionId!.toLowerCase());
        return managementGroupScope(subscription?.managementGroup ?? this.tenantId);
      }
      case 'resourceGroup':
        return `/subscriptions/${parsed.subscriptionId}`;
      case 'resource': {
        const segments = parsed.scope.split('/');
        // .../providers/{ns}/{type}/{name}[/{type}/{name}]: a child resource inherits from its parent resource
        return segments.length > 9 ? segments.slice(0, -2).join('/') : `/subscriptions/${parsed.subscriptionId}/resourceGroups/${parsed.resourceGroup}`;
      }
    }
  }

  /** Whether a scope names something that exists in this tenant. */
  scopeExists(scope: string): boolean {
    const parsed = parseScope(scope);
    if (!parsed) return false;
    switch (parsed.kind) {
      case 'root':
        return true;
      case 'managementGroup':
        return this.managementGroups.has(parsed.managementGroup!.toLowerCase());
      case 'subscription':
        return this.subscriptions.has(parsed.subscriptionId!.toLowerCase());
      case 'resourceGroup':
        return this.resourceGroups.has(idKey(parsed.scope));
      case 'resource':
        return this.resources.has(idKey(parsed.scope)) || this.userAssignedIdentities.has(idKey(parsed.scope));
    }
  }

  /** True when `inner` is `outer` or lies below it. */
  isWithin(inner: string, outer: string): boolean {
    const outerKey = idKey(outer);
    const innerKey = idKey(inner);
    if (innerKey === outerKey) return true;
    // From a subscription down, a scope's ancestors are its path prefixes: no need to walk the chain (lists filter thousands of ids).
    if (outerKey.startsWith('/subscriptions/')) {
      return innerKey.startsWith(`${outerKey}/`) && parseScope(outer)?.subscriptionId !== undefined && parseScope(inner) !== undefined;
    }
    return this.ancestors(inner).some((scope) => idKey(scope) === outerKey);
  }

  // ---- role definitions ----

  roleDefinition(nameOrId: string): RoleDefinition | undefined {
    const guid = nameOrId.split('/').pop()!.toLowerCase();
    return this.roleDefinitions.get(guid);
  }

  roleDefinitionByRoleName(roleName: string): RoleDefinition | undefined {
    const wanted = roleName.toLowerCase();
    for (const definition of this.roleDefinitions.values()) if (definition.roleName.toLowerCase() === wanted) return definition;
    return undefined;
  }

  /** Role definitions usable at a scope: those whose assignable scopes contain it. */
  roleDefinitionsAssignableAt(scope: string): RoleDefinition[] {
    return [...this.roleDefinitions.values()].filter((definition) => this.isAssignableAt(definition, scope));
  }

  isAssignableAt(definition: RoleDefinition, scope: string): boolean {
    return definition.assignableScopes.some((assignable) => this.isWithin(scope, assignable));
  }

  // ---- role assignments ----

  roleAssignment(id: string): RoleAssignment | undefined {
    return this.roleAssignments.get(idKey(id));
  }

  /**
   * Role assignments visible at a scope, with ARM's list semantics: at, above and below the scope,
   * or only at and above it with `atScope`.
   */
  listRoleAssignments(scope: string, query: RoleAssignmentQuery = {}): RoleAssignment[] {
    const above = new Set(this.ancestors(scope).map(idKey));
    const scopeKey = idKey(scope);
    return [...this.roleAssignments.values()].filter((assignment) => {
      if (query.principalIds && !query.principalIds.has(assignment.principalId.toLowerCase())) return false;
      const assignmentScope = idKey(assignment.scope);
      if (above.has(assignmentScope)) return true;
      if (query.atScope) return false;
      return scopeKey === '/' || this.isWithin(assignment.scope, scope);
    });
  }

  createRoleAssignment(input: NewRoleAssignment, now: Date): { assignment: RoleAssignment; created: boolean } {
    const scope = canonicalPath(input.scope);
    if (!this.scopeExists(scope)) throw scopeNotFound(scope);
    const definition = this.roleDefinition(input.roleDefinitionId);
    if (!definition) {
      throw new EmulatorHttpError(400, 'RoleDefinitionDoesNotExist', `The specified role definition with ID '${input.roleDefinitionId.split('/').pop()}' does not exist.`);
    }
    if (!this.isAssignableAt(definition, scope)) {
      throw new EmulatorHttpError(400, 'RoleDefinitionNotAssignableAtScope', `The role definition '${definition.name}' is not assignable at scope '${scope}'.`);
    }
    const principal = this.directoryObject(input.principalId);
    if (!principal) {
      throw new EmulatorHttpError(400, 'PrincipalNotFound', `Principal ${input.principalId.replaceAll('-', '')} does not exist in the directory ${this.tenantId}. Check that you have the correct principal ID.`);
    }
    const id = roleAssignmentId(scope, input.name);
    const existing = this.roleAssignment(id);
    if (existing) {
      const same =
        existing.principalId.toLowerCase() === input.principalId.toLowerCase() &&
        existing.roleDefinitionName.toLowerCase() === definition.name.toLowerCase() &&
        idKey(existing.scope) === idKey(scope);
      if (!same) {
        throw new EmulatorHttpError(400, 'RoleAssignmentUpdateNotPermitted', 'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.');
      }
      existing.condition = input.condition ?? null;
      existing.conditionVersion = input.conditionVersion ?? null;
      existing.description = input.description ?? null;
      existing.updatedOn = now;
      existing.updatedBy = input.createdBy ?? null;
      return { assignment: existing, created: false };
    }
    const duplicate = [...this.roleAssignments.values()].find(
      (assignment) =>
        idKey(assignment.scope) === idKey(scope) &&
        assignment.principalId.toLowerCase() === input.principalId.toLowerCase() &&
        assignment.roleDefinitionName.toLowerCase() === definition.name.toLowerCase(),
    );
    if (duplicate) {
      throw new EmulatorHttpError(409, 'RoleAssignmentExists', `The role assignment already exists. The ID of the existing role assignment is ${duplicate.name.replaceAll('-', '')}.`);
    }
    const assignment: RoleAssignment = {
      id,
      name: input.name,
      scope,
      roleDefinitionName: definition.name,
      principalId: input.principalId,
      principalType: input.principalType ?? principalTypeOf(principal),
      condition: input.condition ?? null,
      conditionVersion: input.condition ? (input.conditionVersion ?? '2.0') : null,
      description: input.description ?? null,
      createdOn: input.createdOn ?? now,
      updatedOn: input.createdOn ?? now,
      createdBy: input.createdBy ?? null,
      updatedBy: input.createdBy ?? null,
    };
    this.roleAssignments.set(idKey(id), assignment);
    return { assignment, created: true };
  }

  deleteRoleAssignment(id: string): RoleAssignment | undefined {
    const assignment = this.roleAssignment(id);
    if (assignment) this.roleAssignments.delete(idKey(id));
    return assignment;
  }

  // ---- directory ----

  directoryObject(id: string): DirectoryObject | undefined {
    const key = id.toLowerCase();
    const servicePrincipal = this.servicePrincipals.get(key);
    if (servicePrincipal) return { kind: 'servicePrincipal', object: servicePrincipal };
    const user = this.users.get(key);
    if (user) return { kind: 'user', object: user };
    const group = this.groups.get(key);
    if (group) return { kind: 'group', object: group };
    return undefined;
  }

  servicePrincipalByAppId(appId: string): ServicePrincipal | undefined {
    const wanted = appId.toLowerCase();
    for (const principal of this.servicePrincipals.values()) if (principal.appId.toLowerCase() === wanted) return principal;
    return undefined;
  }

  get microsoftGraph(): ServicePrincipal {
    const graph = this.servicePrincipalByAppId(MICROSOFT_GRAPH_APP_ID);
    if (!graph) throw new Error('the tenant has no Microsoft Graph service principal');
    return graph;
  }

  /** Every group the object belongs to, directly or through nested groups. */
  transitiveGroupsOf(objectId: string): Group[] {
    const found = new Map<string, Group>();
    const pending = [objectId.toLowerCase()];
    while (pending.length > 0) {
      const member = pending.pop()!;
      for (const group of this.groups.values()) {
        const key = group.id.toLowerCase();
        if (!found.has(key) && group.members.some((m) => m.toLowerCase() === member)) {
          found.set(key, group);
          pending.push(key);
        }
      }
    }
    return [...found.values()];
  }

  /** The ids a principal acts as for RBAC: itself and all its groups. */
  securityIdentities(principalId: string): Set<string> {
    return new Set([principalId.toLowerCase(), ...this.transitiveGroupsOf(principalId).map((g) => g.id.toLowerCase())]);
  }

  /** Removes a service principal; application ones go to deleted items, managed-identity ones are gone for good. */
  deleteServicePrincipal(id: string, now: Date): ServicePrincipal | undefined {
    const principal = this.servicePrincipals.get(id.toLowerCase());
    if (!principal) return undefined;
    this.servicePrincipals.delete(id.toLowerCase());
    if (principal.servicePrincipalType !== 'ManagedIdentity') {
      this.deletedServicePrincipals.set(id.toLowerCase(), { ...principal, deletedDateTime: now });
    }
    for (const [key, grant] of this.appRoleAssignments) if (grant.principalId.toLowerCase() === id.toLowerCase()) this.appRoleAssignments.delete(key);
    return principal;
  }

  appRoleAssignmentsOf(principalId: string): AppRoleAssignment[] {
    const wanted = principalId.toLowerCase();
    return [...this.appRoleAssignments.values()].filter((grant) => grant.principalId.toLowerCase() === wanted);
  }

  /** Grants of a resource service principal's app roles (Graph's appRoleAssignedTo). */
  appRoleAssignmentsTo(resourceId: string): AppRoleAssignment[] {
    const wanted = resourceId.toLowerCase();
    return [...this.appRoleAssignments.values()].filter((grant) => grant.resourceId.toLowerCase() === wanted);
  }

  revokeAppRole(assignmentId: string): AppRoleAssignment | undefined {
    const grant = this.appRoleAssignments.get(assignmentId);
    if (grant) this.appRoleAssignments.delete(assignmentId);
    return grant;
  }

  /** Groups that list the object as a direct member. */
  directGroupsOf(objectId: string): Group[] {
    const wanted = objectId.toLowerCase();
    return [...this.groups.values()].filter((group) => group.members.some((member) => member.toLowerCase() === wanted));
  }

  /** Direct members of a group that exist in the directory (deleted members drop out, as in Entra). */
  directMembersOf(group: Group): DirectoryObject[] {
    return group.members.map((id) => this.directoryObject(id)).filter((member) => member !== undefined);
  }

  /** Every member of a group, through nested groups too (nested groups themselves included), each once. */
  transitiveMembersOf(group: Group): DirectoryObject[] {
    const found = new Map<string, DirectoryObject>();
    const pending = [group];
    while (pending.length > 0) {
      for (const member of this.directMembersOf(pending.pop()!)) {
        const key = member.object.id.toLowerCase();
        if (found.has(key) || key === group.id.toLowerCase()) continue;
        found.set(key, member);
        if (member.kind === 'group') pending.push(member.object);
      }
    }
    return [...found.values()];
  }

  /** Built-in directory roles assigned tenant-wide to any of these principals. */
  directoryRolesOf(principalIds: Set<string>): DirectoryRoleDefinition[] {
    const roles = new Map<string, DirectoryRoleDefinition>();
    for (const assignment of this.directoryRoleAssignments.values()) {
      if (!principalIds.has(assignment.principalId.toLowerCase()) || assignment.directoryScopeId !== '/') continue;
      const role = this.directoryRoles.get(assignment.roleDefinitionId.toLowerCase());
      if (role) roles.set(role.templateId.toLowerCase(), role);
    }
    return [...roles.values()];
  }

  grantAppRole(principalId: string, appRoleId: string, resourceId: string, now: Date): AppRoleAssignment {
    const principal = this.servicePrincipals.get(principalId.toLowerCase());
    const grant: AppRoleAssignment = {
      id: appRoleAssignmentId(principalId, appRoleId, resourceId),
      appRoleId,
      principalId,
      principalType: principal ? 'ServicePrincipal' : 'Group',
      resourceId,
      createdDateTime: now,
    };
    this.appRoleAssignments.set(grant.id, grant);
    return grant;
  }

  // ---- managed identities and resources ----

  userAssignedIdentity(id: string): UserAssignedIdentity | undefined {
    return this.userAssignedIdentities.get(idKey(id));
  }

  /** Creates a user-assigned identity and the managed-identity service principal Entra makes for it. */
  createUserAssignedIdentity(
    input: { id: string; location: string; tags?: Record<string, string>; principalId?: string; clientId?: string },
    now: Date,
  ): { identity: UserAssignedIdentity; created: boolean } {
    const parsed = parseScope(input.id);
    if (!parsed || parsed.kind !== 'resource') throw new EmulatorHttpError(400, 'InvalidResourceId', `'${input.id}' is not a resource id.`);
    this.requireResourceGroup(parsed);
    const existing = this.userAssignedIdentity(input.id);
    if (existing) {
      existing.location = input.location;
      existing.tags = input.tags ?? existing.tags;
      return { identity: existing, created: false };
    }
    const identity: UserAssignedIdentity = {
      id: canonicalPath(input.id),
      name: parsed.name!,
      location: input.location,
      tags: input.tags ?? {},
      principalId: input.principalId ?? randomUUID(),
      clientId: input.clientId ?? randomUUID(),
      createdAt: now,
    };
    this.userAssignedIdentities.set(idKey(identity.id), identity);
    this.addManagedIdentityPrincipal(identity.principalId, identity.clientId, identity.name, identity.id, true, now);
    return { identity, created: true };
  }

  deleteUserAssignedIdentity(id: string, now: Date): UserAssignedIdentity | undefined {
    const identity = this.userAssignedIdentity(id);
    if (!identity) return undefined;
    this.userAssignedIdentities.delete(idKey(id));
    this.federatedIdentityCredentials.delete(idKey(id));
    this.deleteServicePrincipal(identity.principalId, now);
    return identity;
  }

  /** An identity's federated credentials, in name order. */
  federatedCredentialsOf(identityId: string): FederatedIdentityCredential[] {
    return [...(this.federatedIdentityCredentials.get(idKey(identityId))?.values() ?? [])].sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
  }

  /** Creates or replaces one federated credential of an existing identity (the route checks that it exists). */
  putFederatedCredential(credential: FederatedIdentityCredential): { credential: FederatedIdentityCredential; created: boolean } {
    const key = idKey(credential.identityId);
    const credentials = this.federatedIdentityCredentials.get(key) ?? new Map<string, FederatedIdentityCredential>();
    const created = !credentials.has(credential.name.toLowerCase());
    credentials.set(credential.name.toLowerCase(), credential);
    this.federatedIdentityCredentials.set(key, credentials);
    return { credential, created };
  }

  resource(id: string): GenericResource | undefined {
    return this.resources.get(idKey(id));
  }

  /** Creates or replaces a resource; a system-assigned identity gains or loses its service principal with it. */
  putResource(
    input: { id: string; location: string; tags?: Record<string, string>; identity?: { systemAssigned: boolean; userAssigned: string[]; principalId?: string } },
    now: Date,
  ): { resource: GenericResource; created: boolean } {
    const parsed = parseScope(input.id);
    if (!parsed || parsed.kind !== 'resource') throw new EmulatorHttpError(400, 'InvalidResourceId', `'${input.id}' is not a resource id.`);
    this.requireResourceGroup(parsed);
    for (const uami of input.identity?.userAssigned ?? []) {
      if (!this.userAssignedIdentity(uami)) {
        throw new EmulatorHttpError(400, 'FailedIdentityOperation', `Resource '${uami}' was not found.`);
      }
    }
    const existing = this.resource(input.id);
    const previousPrincipal = existing?.identity?.principalId;
    let identity: ResourceIdentity | undefined;
    if (input.identity && (input.identity.systemAssigned || input.identity.userAssigned.length > 0)) {
      const principalId = input.identity.systemAssigned ? (previousPrincipal ?? input.identity.principalId ?? randomUUID()) : undefined;
      identity = { systemAssigned: input.identity.systemAssigned, principalId, userAssigned: input.identity.userAssigned.map(canonicalPath) };
    }
    if (previousPrincipal && identity?.principalId !== previousPrincipal) this.deleteServicePrincipal(previousPrincipal, now);
    if (identity?.principalId && identity.principalId !== previousPrincipal) {
      this.addManagedIdentityPrincipal(identity.principalId, deriveGuid('appId', identity.principalId), parsed.name!, parsed.scope, false, now);
    }
    const resource: GenericResource = {
      id: existing?.id ?? canonicalPath(input.id),
      name: parsed.name!,
      type: `${parsed.provider}/${parsed.resourceType}`,
      location: input.location,
      tags: input.tags ?? existing?.tags ?? {},
      identity,
      createdAt: existing?.createdAt ?? now,
    };
    this.resources.set(idKey(resource.id), resource);
    return { resource, created: !existing };
  }

  deleteResource(id: string, now: Date): GenericResource | undefined {
    const resource = this.resource(id);
    if (!resource) return undefined;
    this.resources.delete(idKey(id));
    if (resource.identity?.principalId) this.deleteServicePrincipal(resource.identity.principalId, now);
    return resource;
  }

  /** Resources that have this user-assigned identity attached. */
  consumersOf(identityId: string): GenericResource[] {
    const key = idKey(identityId);
    return [...this.resources.values()].filter((resource) => resource.identity?.userAssigned.some((uami) => idKey(uami) === key));
  }

  addManagedIdentityPrincipal(principalId: string, appId: string, displayName: string, resourceId: string, explicit: boolean, now: Date): ServicePrincipal {
    const principal: ServicePrincipal = {
      id: principalId,
      appId,
      displayName,
      servicePrincipalType: 'ManagedIdentity',
      alternativeNames: [`isExplicit=${explicit ? 'True' : 'False'}`, resourceId],
      servicePrincipalNames: [appId, `https://identity.azure.net/${Buffer.from(deriveGuid('spn', principalId)).toString('base64')}`],
      appRoles: [],
      accountEnabled: true,
      createdDateTime: now,
    };
    this.servicePrincipals.set(principalId.toLowerCase(), principal);
    return principal;
  }

  // ---- ARM writes: resource groups and custom role definitions ----

  /** Creates a resource group, or replaces the tags of an existing one; a group never moves to another location. */
  putResourceGroup(input: { subscriptionId: string; name: string; location: string; tags?: Record<string, string> }): { group: ResourceGroup; created: boolean } {
    const subscription = this.subscriptions.get(input.subscriptionId.toLowerCase());
    if (!subscription) throw scopeNotFound(`/subscriptions/${input.subscriptionId}`);
    const id = `/subscriptions/${subscription.subscriptionId}/resourceGroups/${input.name}`;
    const existing = this.resourceGroups.get(idKey(id));
    if (existing) {
      if (normalizeLocation(existing.location) !== normalizeLocation(input.location)) {
        throw new EmulatorHttpError(409, 'InvalidResourceGroupLocation', `Invalid resource group location '${input.location}'. The Resource group already exists in location '${existing.location}'.`);
      }
      existing.tags = input.tags ?? {};
      return { group: existing, created: false };
    }
    const group: ResourceGroup = { id, subscriptionId: subscription.subscriptionId, name: input.name, location: normalizeLocation(input.location), tags: input.tags ?? {} };
    this.resourceGroups.set(idKey(id), group);
    return { group, created: true };
  }

  /**
   * Deletes a resource group with everything in it: its resources and user-assigned identities (their
   * managed-identity service principals go with them) and the role assignments scoped inside it.
   */
  deleteResourceGroup(id: string, now: Date): ResourceGroup | undefined {
    const group = this.resourceGroups.get(idKey(id));
    if (!group) return undefined;
    for (const resource of [...this.resources.values()]) if (this.isWithin(resource.id, group.id)) this.deleteResource(resource.id, now);
    for (const identity of [...this.userAssignedIdentities.values()]) if (this.isWithin(identity.id, group.id)) this.deleteUserAssignedIdentity(identity.id, now);
    for (const assignment of [...this.roleAssignments.values()]) if (this.isWithin(assignment.scope, group.id)) this.deleteRoleAssignment(assignment.id);
    this.resourceGroups.delete(idKey(id));
    return group;
  }

  /** Creates or updates a custom role. Role names are unique in the directory; built-in roles cannot change. */
  putCustomRoleDefinition(
    input: { name: string; roleName: string; description: string; permissions: Permission[]; assignableScopes: string[]; by: string | null },
    now: Date,
  ): { definition: RoleDefinition; created: boolean } {
    const existing = this.roleDefinition(input.name);
    if (existing?.roleType === 'BuiltInRole') throw builtInRoleIsReadOnly(existing);
    const sameName = this.roleDefinitionByRoleName(input.roleName);
    if (sameName && sameName.name.toLowerCase() !== input.name.toLowerCase()) {
      throw new EmulatorHttpError(409, 'RoleDefinitionWithSameNameExists', 'A custom role with the same name already exists in this directory.');
    }
    const assignableScopes = input.assignableScopes.map(canonicalPath);
    for (const scope of assignableScopes) if (!this.scopeExists(scope)) throw scopeNotFound(scope);
    const fields = { roleName: input.roleName, description: input.description, permissions: input.permissions, assignableScopes, updatedOn: now, updatedBy: input.by };
    if (existing) {
      Object.assign(existing, fields);
      return { definition: existing, created: false };
    }
    const definition: RoleDefinition = { name: input.name, roleType: 'CustomRole', createdOn: now, createdBy: input.by, ...fields };
    this.roleDefinitions.set(input.name.toLowerCase(), definition);
    return { definition, created: true };
  }

  /** Deletes a custom role that nothing is assigned; undefined when there is no such role. */
  deleteCustomRoleDefinition(name: string): RoleDefinition | undefined {
    const definition = this.roleDefinition(name);
    if (!definition) return undefined;
    if (definition.roleType === 'BuiltInRole') throw builtInRoleIsReadOnly(definition);
    if ([...this.roleAssignments.values()].some((assignment) => assignment.roleDefinitionName.toLowerCase() === definition.name.toLowerCase())) {
      throw new EmulatorHttpError(409, 'RoleDefinitionHasAssignments', 'There are existing role assignments referencing role (code: RoleDefinitionHasAssignments).');
    }
    this.roleDefinitions.delete(definition.name.toLowerCase());
    return definition;
  }

  private requireResourceGroup(parsed: ParsedScope): void {
    if (!this.subscriptions.has(parsed.subscriptionId!.toLowerCase())) {
      throw new EmulatorHttpError(404, 'SubscriptionNotFound', `The subscription '${parsed.subscriptionId}' could not be found.`);
    }
    if (!this.resourceGroups.has(idKey(`/subscriptions/${parsed.subscriptionId}/resourceGroups/${parsed.resourceGroup}`))) {
      throw new EmulatorHttpError(404, 'ResourceGroupNotFound', `Resource group '${parsed.resourceGroup}' could not be found.`);
    }
  }
}

/** ARM location names compare without case or spaces ("West Europe" is "westeurope"). */
export const normalizeLocation = (location: string) => location.replace(/\s+/g, '').toLowerCase();

/** The emulator's answer to changing a built-in role (ARM's exact code for this is not documented). */
const builtInRoleIsReadOnly = (definition: RoleDefinition) =>
  new EmulatorHttpError(400, 'CannotModifyBuiltInRole', `The built-in role '${definition.roleName}' (${definition.name}) cannot be changed or deleted.`);

export const managementGroupScope = (name: string) => `/providers/Microsoft.Management/managementGroups/${name}`;

export const roleAssignmentId = (scope: string, name: string) =>
  `${canonicalPath(scope) === '/' ? '' : canonicalPath(scope)}${ROLE_ASSIGNMENTS}${name}`;

/** Graph issues opaque base64url ids for app-role grants; ours are derived so a seed loads the same each time. */
const appRoleAssignmentId = (principalId: string, appRoleId: string, resourceId: string) =>
  Buffer.from(deriveGuid('appRoleAssignment', principalId, appRoleId, resourceId).replaceAll('-', ''), 'hex').toString('base64url') +
  Buffer.from(principalId.replaceAll('-', '').slice(0, 16), 'hex').toString('base64url');

export function principalTypeOf(object: DirectoryObject): PrincipalType {
  return object.kind === 'user' ? 'User' : object.kind === 'group' ? 'Group' : 'ServicePrincipal';
}

export function scopeNotFound(scope: string): EmulatorHttpError {
  const parsed = parseScope(scope);
  switch (parsed?.kind) {
    case 'subscription':
      return new EmulatorHttpError(404, 'SubscriptionNotFound', `The subscription '${parsed.subscriptionId}' could not be found.`);
    case 'resourceGroup':
      return new EmulatorHttpError(404, 'ResourceGroupNotFound', `Resource group '${parsed.resourceGroup}' could not be found.`);
    case 'managementGroup':
      return new EmulatorHttpError(404, 'NotFound', `Management group '${parsed.managementGroup}' not found.`);
    case 'resource':
      return new EmulatorHttpError(404, 'ResourceNotFound', `The Resource '${parsed.provider}/${parsed.resourceType}/${parsed.name}' under resource group '${parsed.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
    default:
      return new EmulatorHttpError(400, 'InvalidScope', `The scope '${scope}' is not valid.`);
  }
}
