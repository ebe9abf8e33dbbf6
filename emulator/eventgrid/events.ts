import { randomUUID } from 'node:crypto';
import type { ArmOperation } from '../arm/operations.ts';
import { armTime } from '../arm/render.ts';
import type { Tenant } from '../state/tenant.ts';

/**
 * Azure subscription events (Microsoft.Resources.Resource{Write,Delete,Action}Success) as Event Grid
 * publishes them for ARM operations, in both delivery schemas. The data carries no request body.
 */
export interface ResourceEventData {
  authorization: { scope: string; action: string; evidence: Record<string, string> };
  claims: Record<string, string>;
  correlationId: string;
  /** Only for deletes, actions and updates of an existing resource, as the Event Grid docs show. */
  httpRequest?: { clientRequestId: string; clientIpAddress: string; method: string; url: string };
  resourceProvider: string;
  resourceUri: string;
  operationName: string;
  status: 'Succeeded';
  subscriptionId: string;
  tenantId: string;
}

export interface EventGridEvent {
  id: string;
  topic: string;
  subject: string;
  eventType: string;
  eventTime: string;
  data: ResourceEventData;
  dataVersion: '2';
  metadataVersion: '1';
}

export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  data: ResourceEventData;
}

const EVENT_TYPES: Record<ArmOperation['kind'], string> = {
  write: 'Microsoft.Resources.ResourceWriteSuccess',
  delete: 'Microsoft.Resources.ResourceDeleteSuccess',
  action: 'Microsoft.Resources.ResourceActionSuccess',
};

/** Short token claims Azure spells as URIs in Event Grid's `claims` map. */
const CLAIM_URIS: Record<string, string> = {
  oid: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
  tid: 'http://schemas.microsoft.com/identity/claims/tenantid',
  sub: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier',
  scp: 'http://schemas.microsoft.com/identity/claims/scope',
  upn: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
};

const LOOPBACK = '127.0.0.1';

/** Azure writes GUIDs without dashes in `authorization.evidence`. */
const compactGuid = (guid: string) => guid.replaceAll('-', '').toLowerCase();

function claimsOf(operation: ArmOperation, tenant: Tenant): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(operation.caller.claims)) {
    if (value === undefined) continue;
    claims[CLAIM_URIS[name] ?? name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  // appidacr: 2 for a confidential client such as a managed identity, 0 for a person's public client.
  claims['appidacr'] = operation.caller.kind === 'app' ? '2' : '0';
  const user = operation.caller.kind === 'user' ? tenant.users.get(operation.caller.principalId.toLowerCase()) : undefined;
  if (user) {
    claims['name'] = user.displayName;
    claims[CLAIM_URIS['upn']!] = user.userPrincipalName;
    claims['ipaddr'] = LOOPBACK;
  }
  return claims;
}

function evidenceOf(operation: ArmOperation): Record<string, string> {
  const { grantedBy, role } = operation.authorization;
  if (!grantedBy || !role) return {};
  return {
    role: role.roleName,
    roleAssignmentScope: grantedBy.scope,
    roleAssignmentId: compactGuid(grantedBy.name),
    roleDefinitionId: compactGuid(grantedBy.roleDefinitionName),
    principalId: compactGuid(grantedBy.principalId),
    principalType: grantedBy.principalType,
  };
}

/**
 * The event for one ARM operation, on its subscription's topic; undefined for operations outside any
 * subscription (management groups, the tenant root), which Azure does not publish as subscription events.
 */
export function eventFromOperation(operation: ArmOperation, tenant: Tenant): EventGridEvent | undefined {
  if (!operation.subscriptionId) return undefined;
  const withRequest = operation.kind !== 'write' || operation.updatedExisting === true;
  return {
    id: randomUUID(),
    topic: `/subscriptions/${operation.subscriptionId}`,
    subject: operation.resourceId,
    eventType: EVENT_TYPES[operation.kind],
    // Event Grid writes times as ARM does: UTC with seven fractional digits.
    eventTime: armTime(operation.at),
    data: {
      authorization: { scope: operation.resourceId, action: operation.operationName, evidence: evidenceOf(operation) },
      claims: claimsOf(operation, tenant),
      correlationId: operation.correlationId,
      ...(withRequest
        ? { httpRequest: { clientRequestId: operation.clientRequestId, clientIpAddress: LOOPBACK, method: operation.httpMethod, url: operation.url } }
        : {}),
      resourceProvider: operation.resourceProvider,
      resourceUri: operation.resourceId,
      operationName: operation.operationName,
      status: 'Succeeded',
      subscriptionId: operation.subscriptionId,
      tenantId: tenant.tenantId,
    },
    dataVersion: '2',
    metadataVersion: '1',
  };
}

export function toCloudEvent(event: EventGridEvent): CloudEvent {
  return { specversion: '1.0', id: event.id, source: event.topic, type: event.eventType, subject: event.subject, time: event.eventTime, data: event.data };
}
