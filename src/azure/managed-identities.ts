import { z } from 'zod';
import type { UserAssignedIdentityRecord } from '../model/snapshot.ts';
import type { AzureClients } from './clients.ts';
import { callAzure, toAzureApiError, type AzureCallContext } from './errors.ts';
import { armRequestIds, type RequestIdSink } from './request-ids.ts';
import { parseResponse } from './response.ts';

const USER_ASSIGNED_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/([^/]+)$/i;

/** A user-assigned identity as @azure/arm-msi 2.2 returns it (flattened from `properties`, `systemData` dates deserialised). */
const userAssignedIdentitySchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  location: z.string(),
  tags: z.record(z.string(), z.string()).nullish(),
  principalId: z.string().min(1),
  clientId: z.string().min(1),
  systemData: z.object({ createdAt: z.date().nullish() }).nullish(),
});

/** A federated identity credential as @azure/arm-msi 2.2 returns it (flattened from `properties`). */
const federatedCredentialSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  issuer: z.string().min(1),
  subject: z.string().min(1),
  audiences: z.array(z.string()),
});

export type FederatedCredentialRecord = z.infer<typeof federatedCredentialSchema>;

/** A resource's system-assigned identity (`{resource}/providers/Microsoft.ManagedIdentity/identities/default`). */
const systemAssignedIdentitySchema = z.object({ principalId: z.string().min(1), clientId: z.string().nullish(), systemData: z.object({ createdAt: z.date().nullish() }).nullish() });

export interface SystemAssignedIdentityRecord {
  /** The resource the identity belongs to. */
  resourceId: string;
  /** Lower-case object id of the identity's service principal. */
  principalId: string;
  clientId: string | null;
  /** When the identity was created, if ARM says (its systemData); the resource's own creation time is another matter. */
  createdAt: string | null;
}

/** Managed identities through @azure/arm-msi (api-version 2024-11-30), as checked records. */
export class ManagedIdentities {
  constructor(private readonly clients: AzureClients) {}

  /** Reads one user-assigned identity by its ARM id; a 404 is an AzureApiError `isNotFound` recognises. */
  async getUserAssigned(identityId: string, requestIds?: RequestIdSink): Promise<UserAssignedIdentityRecord> {
    const { subscriptionId, resourceGroup, name } = partsOf(identityId);
    const context: AzureCallContext = { service: 'arm', operation: 'userAssignedIdentities.get', subscriptionId, target: identityId };
    const client = await this.clients.managedIdentities(subscriptionId);
    const identity = parseResponse(userAssignedIdentitySchema, await callAzure(context, () => client.userAssignedIdentities.get(resourceGroup, name, armRequestIds(requestIds))), context);
    return userAssignedRecord(identity, subscriptionId, resourceGroup);
  }

  /** Every user-assigned identity in a subscription, page by page (one ARM list; systemData carries the creation time). */
  async listUserAssigned(subscriptionId: string): Promise<UserAssignedIdentityRecord[]> {
    const context: AzureCallContext = { service: 'arm', operation: 'userAssignedIdentities.listBySubscription', subscriptionId };
    const client = await this.clients.managedIdentities(subscriptionId);
    const identities: UserAssignedIdentityRecord[] = [];
    await callAzure(context, async () => {
      for await (const listed of client.userAssignedIdentities.listBySubscription()) {
        const identity = parseResponse(userAssignedIdentitySchema, listed, context);
        identities.push(userAssignedRecord(identity, subscriptionId, partsOf(identity.id).resourceGroup));
      }
    });
    return identities;
  }

  /**
   * Deletes a user-assigned identity (and with it, in Entra, its service principal). Returns whether ARM removed
   * one (200) or found none (204). Irreversible: a new identity of the same name gets a new principal and client id.
   */
  async deleteUserAssigned(identityId: string, requestIds?: RequestIdSink): Promise<'deleted' | 'absent'> {
    const { subscriptionId, resourceGroup, name } = partsOf(identityId);
    const context: AzureCallContext = { service: 'arm', operation: 'userAssignedIdentities.delete', subscriptionId, target: identityId };
    const client = await this.clients.managedIdentities(subscriptionId);
    let status: number | undefined;
    await callAzure(context, () => client.userAssignedIdentities.delete(resourceGroup, name, armRequestIds(requestIds, (answered) => (status = answered))));
    return status === 204 ? 'absent' : 'deleted';
  }

  /** Every federated identity credential of a user-assigned identity (tokens from outside Azure that may act as it). */
  async listFederatedCredentials(identityId: string, requestIds?: RequestIdSink): Promise<FederatedCredentialRecord[]> {
    const { subscriptionId, resourceGroup, name } = partsOf(identityId);
    const context: AzureCallContext = { service: 'arm', operation: 'federatedIdentityCredentials.list', subscriptionId, target: identityId };
    const client = await this.clients.managedIdentities(subscriptionId);
    const credentials: FederatedCredentialRecord[] = [];
    try {
      for await (const credential of client.federatedIdentityCredentials.list(resourceGroup, name, armRequestIds(requestIds))) credentials.push(parseResponse(federatedCredentialSchema, credential, context));
    } catch (error) {
      throw toAzureApiError(error, context);
    }
    return credentials;
  }

  /**
   * A resource's system-assigned identity. One api-version serves every resource type (the identity is a
   * Microsoft.ManagedIdentity extension resource), so no per-type version table is needed. A 404 means the
   * resource has no system-assigned identity, or no longer exists.
   */
  async getSystemAssigned(resourceId: string): Promise<SystemAssignedIdentityRecord> {
    const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(resourceId)?.[1] ?? '';
    const context: AzureCallContext = { service: 'arm', operation: 'systemAssignedIdentities.getByScope', subscriptionId, target: resourceId };
    const client = await this.clients.managedIdentities(subscriptionId);
    const identity = parseResponse(systemAssignedIdentitySchema, await callAzure(context, () => client.systemAssignedIdentities.getByScope(resourceId)), context);
    return {
      resourceId,
      principalId: identity.principalId.toLowerCase(),
      clientId: identity.clientId?.toLowerCase() ?? null,
      createdAt: identity.systemData?.createdAt?.toISOString() ?? null,
    };
  }
}

function partsOf(identityId: string): { subscriptionId: string; resourceGroup: string; name: string } {
  const match = USER_ASSIGNED_ID.exec(identityId);
  if (!match) throw new Error(`not a user-assigned identity id: ${identityId}`);
  const [, subscriptionId, resourceGroup, name] = match as unknown as [string, string, string, string];
  return { subscriptionId, resourceGroup, name };
}

function userAssignedRecord(identity: z.infer<typeof userAssignedIdentitySchema>, subscriptionId: string, resourceGroup: string): UserAssignedIdentityRecord {
  return {
    id: identity.id,
    name: identity.name,
    subscriptionId: subscriptionId.toLowerCase(),
    resourceGroup,
    location: identity.location,
    principalId: identity.principalId.toLowerCase(),
    clientId: identity.clientId.toLowerCase(),
    createdAt: identity.systemData?.createdAt?.toISOString() ?? null,
    tags: identity.tags ?? {},
  };
}
