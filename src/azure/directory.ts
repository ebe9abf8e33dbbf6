import { z } from 'zod';
import type { AzureClients } from './clients.ts';
import { collectionOf, graphPages } from './graph-paging.ts';
import { callAzure, isNotFound, type AzureCallContext } from './errors.ts';
import { parseResponse, unexpectedResponse } from './response.ts';

/** A directory object as far as the bot cares: what it is, and for service principals, what kind. */
export interface DirectoryObjectRecord {
  /** Object id, lower-case. */
  id: string;
  /** From `@odata.type` without its namespace: `servicePrincipal`, `user`, `group`, ... */
  type: string;
  displayName: string | null;
  appId: string | null;
  /** `ManagedIdentity`, `Application`, ... (service principals only). */
  servicePrincipalType: string | null;
  /** Managed identities: `isExplicit=True|False` and the ARM id of the identity or its resource. */
  alternativeNames: string[];
}

export interface DeletedServicePrincipalRecord {
  /** Object id, lower-case. */
  id: string;
  displayName: string | null;
  appId: string | null;
  servicePrincipalType: string | null;
  deletedDateTime: string | null;
}

export interface PrincipalResolution {
  /** Keyed by lower-case object id. */
  found: Map<string, DirectoryObjectRecord>;
  /** Lower-case ids the directory does not have (possibly soft-deleted: see deletedServicePrincipals). */
  missing: string[];
}

/** One getByIds request that failed: the ids it asked about, and why. */
export interface FailedBatch {
  ids: string[];
  error: unknown;
}

/** getByIds takes at most 1000 ids per request. */
export const GET_BY_IDS_BATCH = 1000;
const PAGE_SIZE = 999;

const directoryObjectSchema = z
  .object({
    '@odata.type': z.string().min(1),
    id: z.string().min(1),
    displayName: z.string().nullish(),
    appId: z.string().nullish(),
    servicePrincipalType: z.string().nullish(),
    alternativeNames: z.array(z.string()).nullish(),
  })
  .transform(
    (object): DirectoryObjectRecord => ({
      id: object.id.toLowerCase(),
      type: object['@odata.type'].replace(/^#?microsoft\.graph\./i, ''),
      displayName: object.displayName ?? null,
      appId: object.appId ?? null,
      servicePrincipalType: object.servicePrincipalType ?? null,
      alternativeNames: object.alternativeNames ?? [],
    }),
  );

const deletedServicePrincipalSchema = z
  .object({
    id: z.string().min(1),
    displayName: z.string().nullish(),
    appId: z.string().nullish(),
    servicePrincipalType: z.string().nullish(),
    deletedDateTime: z.string().nullish(),
  })
  .transform(
    (principal): DeletedServicePrincipalRecord => ({
      id: principal.id.toLowerCase(),
      displayName: principal.displayName ?? null,
      appId: principal.appId ?? null,
      servicePrincipalType: principal.servicePrincipalType ?? null,
      deletedDateTime: principal.deletedDateTime ?? null,
    }),
  );

/** Microsoft Graph directory lookups the orphan checks depend on. Each throws when it fails, except resolvePrincipals, which reports its failed batches. */
export class Directory {
  constructor(private readonly clients: AzureClients) {}

  /**
   * Looks object ids up with `POST /directoryObjects/getByIds`, 1000 per request. No `types` filter is sent:
   * an object of any type counts as present, so nothing is called orphaned because of a type not asked for.
   * A failed request fails only its own batch: its ids are in `failed` (neither found nor missing: nothing is known
   * of them), and the other batches' answers stand.
   */
  async resolvePrincipals(ids: Iterable<string>): Promise<PrincipalResolution & { failed: FailedBatch[] }> {
    const wanted = [...new Set([...ids].map((id) => id.toLowerCase()))];
    const client = await this.clients.graph();
    const found = new Map<string, DirectoryObjectRecord>();
    const failed: FailedBatch[] = [];
    for (let start = 0; start < wanted.length; start += GET_BY_IDS_BATCH) {
      const batch = wanted.slice(start, start + GET_BY_IDS_BATCH);
      const context: AzureCallContext = { service: 'graph', operation: 'directoryObjects.getByIds', target: `${batch.length} ids from ${batch[0]}` };
      try {
        const response = await callAzure(context, () => client.api('/directoryObjects/getByIds').post({ ids: batch }));
        const page = parseResponse(collectionOf(directoryObjectSchema), response, context).value;
        // An object not asked for (a mangled id): the answer cannot be matched to the ids, and the one it stands for would read as absent.
        const asked = new Set(batch);
        const stray = page.find((object) => !asked.has(object.id));
        if (stray) throw unexpectedResponse(context, `the response names ${stray.id.slice(0, 80)}, which was not asked for`);
        for (const object of page) found.set(object.id, object);
      } catch (error) {
        failed.push({ ids: batch, error });
      }
    }
    const unknown = new Set(failed.flatMap((batch) => batch.ids));
    return { found, missing: wanted.filter((id) => !found.has(id) && !unknown.has(id)), failed };
  }

  /**
   * The soft-deleted (restorable for 30 days) service principals among `ids`, keyed by lower-case id, read from
   * `GET /directory/deletedItems/microsoft.graph.servicePrincipal` page by page.
   */
  async deletedServicePrincipals(ids: Iterable<string>): Promise<Map<string, DeletedServicePrincipalRecord>> {
    const wanted = new Set([...ids].map((id) => id.toLowerCase()));
    const deleted = new Map<string, DeletedServicePrincipalRecord>();
    if (wanted.size === 0) return deleted;
    const context: AzureCallContext = { service: 'graph', operation: 'directory.deletedItems.servicePrincipal' };
    const client = await this.clients.graph();
    const first = () =>
      client.api('/directory/deletedItems/microsoft.graph.servicePrincipal').select(['id', 'displayName', 'appId', 'servicePrincipalType', 'deletedDateTime']).top(PAGE_SIZE).get();
    for await (const principal of graphPages(client, first, deletedServicePrincipalSchema, context)) {
      if (wanted.has(principal.id)) deleted.set(principal.id, principal);
    }
    return deleted;
  }

  /**
   * Whether the directory holds this object, read through GET /directoryObjects/{id}: a second, independent
   * endpoint from the sweep's getByIds, so one endpoint answering wrongly cannot by itself prove a principal gone.
   */
  exists(id: string): Promise<boolean> {
    return this.holds(`/directoryObjects/${encodeURIComponent(id)}`, { service: 'graph', operation: 'directoryObjects.get', target: id });
  }

  /**
   * Whether an object of any type (service principal, user, group) sits in the directory's deleted items,
   * restorable: `GET /directory/deletedItems/{id}`, where 404 means it is not there. Any other failure throws.
   */
  isSoftDeleted(id: string): Promise<boolean> {
    return this.holds(`/directory/deletedItems/${encodeURIComponent(id)}`, { service: 'graph', operation: 'directory.deletedItems.get', target: id });
  }

  /** One object read by id: true when it is there, false on 404; an answer about another object is UnexpectedResponse. */
  private async holds(path: string, context: AzureCallContext & { target: string }): Promise<boolean> {
    const client = await this.clients.graph();
    try {
      const response = await callAzure(context, () => client.api(path).select(['id']).get());
      const answer = parseResponse(z.object({ id: z.string().min(1) }), response, context);
      if (answer.id.toLowerCase() !== context.target.toLowerCase()) {
        throw unexpectedResponse(context, `asked for ${context.target}, the directory answered about ${answer.id.slice(0, 80)}`);
      }
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }
}
