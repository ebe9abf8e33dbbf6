import type { AppRoleAssignment, DirectoryObject, DirectoryRoleAssignment, DirectoryRoleDefinition, Group, ServicePrincipal, User } from '../state/model.ts';
import { deriveGuid } from '../state/ids.ts';
import { MICROSOFT_GRAPH_APP_ID, type Tenant } from '../state/tenant.ts';
import type { Entity, GraphVersion } from './odata.ts';

/**
 * The Graph JSON of the emulator's directory objects: every default property Graph returns, with the
 * null / [] values Graph uses for what the emulator does not model.
 */

/** Microsoft's own tenant: it owns Microsoft Graph and the apps behind managed identities. */
const MICROSOFT_SERVICES_TENANT = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';

/** Graph writes whole seconds without a fraction. */
export const graphDate = (date: Date | undefined | null) => (date ? date.toISOString().replace('.000Z', 'Z') : null);

export function renderServicePrincipal(principal: ServicePrincipal, tenant: Tenant): Entity {
  const managedIdentity = principal.servicePrincipalType === 'ManagedIdentity';
  const microsoftGraph = principal.appId.toLowerCase() === MICROSOFT_GRAPH_APP_ID;
  return {
    id: principal.id,
    deletedDateTime: graphDate(principal.deletedDateTime),
    accountEnabled: principal.accountEnabled,
    alternativeNames: [...principal.alternativeNames],
    appDisplayName: managedIdentity ? null : principal.displayName,
    appDescription: null,
    appId: principal.appId,
    applicationTemplateId: null,
    appOwnerOrganizationId: managedIdentity || microsoftGraph ? MICROSOFT_SERVICES_TENANT : tenant.tenantId,
    appRoleAssignmentRequired: false,
    description: null,
    disabledByMicrosoftStatus: null,
    displayName: principal.displayName,
    homepage: null,
    loginUrl: null,
    logoutUrl: null,
    notes: null,
    notificationEmailAddresses: [],
    preferredSingleSignOnMode: null,
    preferredTokenSigningKeyThumbprint: null,
    replyUrls: [],
    servicePrincipalNames: [...principal.servicePrincipalNames],
    servicePrincipalType: principal.servicePrincipalType,
    signInAudience: microsoftGraph ? 'AzureADMultipleOrgs' : 'AzureADMyOrg',
    tags: [],
    tokenEncryptionKeyId: null,
    samlSingleSignOnSettings: null,
    addIns: [],
    appRoles: principal.appRoles.map((role) => ({
      allowedMemberTypes: [...role.allowedMemberTypes],
      description: role.description,
      displayName: role.displayName,
      id: role.id,
      isEnabled: role.isEnabled,
      origin: role.origin,
      value: role.value,
    })),
    info: { logoUrl: null, marketingUrl: null, privacyStatementUrl: null, supportUrl: null, termsOfServiceUrl: null },
    keyCredentials: [],
    oauth2PermissionScopes: [],
    passwordCredentials: [],
    resourceSpecificApplicationPermissions: [],
    verifiedPublisher: { displayName: null, verifiedPublisherId: null, addedDateTime: null },
  };
}

export function renderUser(user: User): Entity {
  return {
    id: user.id,
    accountEnabled: true,
    businessPhones: [],
    displayName: user.displayName,
    givenName: null,
    jobTitle: null,
    mail: null,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
    surname: null,
    userPrincipalName: user.userPrincipalName,
  };
}

export function renderGroup(group: Group): Entity {
  return {
    id: group.id,
    deletedDateTime: null,
    classification: null,
    description: null,
    displayName: group.displayName,
    expirationDateTime: null,
    groupTypes: [],
    isAssignableToRole: group.isAssignableToRole,
    mail: null,
    mailEnabled: false,
    mailNickname: group.displayName.replace(/[^A-Za-z0-9._-]/g, '') || group.id,
    membershipRule: null,
    membershipRuleProcessingState: null,
    onPremisesSyncEnabled: null,
    proxyAddresses: [],
    renewedDateTime: null,
    securityEnabled: group.securityEnabled,
    securityIdentifier: null,
    visibility: null,
  };
}

/** An activated directory role's object id differs from its template id; ours is derived per tenant. */
export const directoryRoleObjectId = (tenant: Tenant, templateId: string) => deriveGuid('directoryRole', tenant.tenantId, templateId.toLowerCase());

export function renderDirectoryRole(role: DirectoryRoleDefinition, tenant: Tenant): Entity {
  return { id: directoryRoleObjectId(tenant, role.templateId), deletedDateTime: null, description: null, displayName: role.displayName, roleTemplateId: role.templateId };
}

/** A member of a directoryObject collection: a directory object, or a directory role in memberOf lists. */
export type Member = DirectoryObject | { kind: 'directoryRole'; object: DirectoryRoleDefinition };

/** Renders with @odata.type, or (without read permission for its type) with every property but id null. */
export function renderMember(member: Member, tenant: Tenant, readable: boolean): Entity {
  const rendered = renderMemberEntity(member, tenant);
  const limited = readable ? rendered : Object.fromEntries(Object.keys(rendered).map((key) => [key, key === 'id' ? rendered[key] : null]));
  return { '@odata.type': `#microsoft.graph.${member.kind}`, ...limited };
}

function renderMemberEntity(member: Member, tenant: Tenant): Entity {
  switch (member.kind) {
    case 'servicePrincipal':
      return renderServicePrincipal(member.object, tenant);
    case 'user':
      return renderUser(member.object);
    case 'group':
      return renderGroup(member.object);
    case 'directoryRole':
      return renderDirectoryRole(member.object, tenant);
  }
}

export function renderAppRoleAssignment(grant: AppRoleAssignment, tenant: Tenant): Entity {
  return {
    id: grant.id,
    deletedDateTime: null,
    appRoleId: grant.appRoleId,
    createdDateTime: graphDate(grant.createdDateTime),
    principalDisplayName: tenant.directoryObject(grant.principalId)?.object.displayName ?? null,
    principalId: grant.principalId,
    principalType: grant.principalType,
    resourceDisplayName: tenant.servicePrincipals.get(grant.resourceId.toLowerCase())?.displayName ?? null,
    resourceId: grant.resourceId,
  };
}

export function renderRoleAssignment(assignment: DirectoryRoleAssignment): Entity {
  return {
    id: assignment.id,
    principalId: assignment.principalId,
    resourceScope: assignment.directoryScopeId,
    directoryScopeId: assignment.directoryScopeId,
    roleDefinitionId: assignment.roleDefinitionId,
  };
}

/** Built-in role definitions; the catalog has no descriptions or permission lists, so those stay empty. */
export function renderRoleDefinition(role: DirectoryRoleDefinition, version: GraphVersion): Entity {
  return {
    id: role.templateId,
    description: null,
    displayName: role.displayName,
    isBuiltIn: true,
    isEnabled: true,
    // isPrivileged is a beta property of unifiedRoleDefinition
    ...(version === 'beta' ? { isPrivileged: role.isPrivileged } : {}),
    resourceScopes: ['/'],
    templateId: role.templateId,
    version: '1',
    rolePermissions: [],
  };
}
