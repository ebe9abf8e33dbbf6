import { z } from 'zod';
import { requireGraphPermission } from '../authz/require.ts';
import { EmulatorHttpError, NotImplementedByEmulator } from '../server/errors.ts';
import { json } from '../server/exchange.ts';
import { graphPath, type Route } from '../server/route.ts';
import type { ServicePrincipal } from '../state/model.ts';
import { byId, requireObjectId, resourceNotFound } from './directory.ts';
import { allowQueryOptions, collection, contextUrl, entity, parseFilter, versionOf, type FilterSpec } from './odata.ts';
import { DELETED_ITEM_PERMISSIONS, PERMISSIONS } from './permissions.ts';
import { renderMember, renderServicePrincipal, type Member } from './render.ts';

/** POST /directoryObjects/getByIds, GET /directoryObjects/{id} and the directory's deleted items. */

const MAX_IDS = 1000;

/** The directoryObject types getByIds accepts (Graph names them without the namespace, any case). */
const DIRECTORY_OBJECT_TYPES = ['user', 'group', 'device', 'servicePrincipal', 'application', 'directoryRole', 'orgContact', 'administrativeUnit'];

const GetByIdsBody = z.object({ ids: z.array(z.string()).min(1), types: z.array(z.string()).optional() });

function parseTypes(types: string[] | undefined): Set<string> | undefined {
  if (!types || types.length === 0) return undefined;
  return new Set(
    types.map((raw) => {
      const name = raw.replace(/^#?microsoft\.graph\./i, '').toLowerCase();
      if (!DIRECTORY_OBJECT_TYPES.some((type) => type.toLowerCase() === name)) {
        throw new EmulatorHttpError(400, 'Request_BadRequest', `Invalid type '${raw}' in the types parameter of getByIds.`);
      }
      return name;
    }),
  );
}

const getByIds: Route = {
  name: 'graph.directoryObjects.getByIds',
  method: 'POST',
  service: 'graph',
  pattern: graphPath('/directoryObjects/getByIds'),
  handle(req, ctx) {
    allowQueryOptions(req, 'POST /directoryObjects/getByIds', []);
    requireGraphPermission(ctx, PERMISSIONS.getByIds);
    const parsed = GetByIdsBody.safeParse(req.body);
    if (!parsed.success) {
      throw new EmulatorHttpError(400, 'Request_BadRequest', `The request body must be { "ids": [ ... ], "types": [ ... ] }: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'} ${issue.message}`).join('; ')}.`);
    }
    const { ids } = parsed.data;
    if (ids.length > MAX_IDS) throw new EmulatorHttpError(400, 'Request_BadRequest', `getByIds accepts at most ${MAX_IDS} ids; the request has ${ids.length}.`);
    ids.forEach(requireObjectId);
    const types = parseTypes(parsed.data.types);
    const version = versionOf(ctx.params);
    const found = new Map<string, Member>();
    for (const id of ids) {
      const object = ctx.core.tenant.directoryObject(id);
      if (object && (!types || types.has(object.kind.toLowerCase()))) found.set(object.object.id.toLowerCase(), object);
    }
    return json(200, {
      '@odata.context': contextUrl(req, version, 'directoryObjects'),
      value: [...found.values()].map((object) => renderMember(object, ctx.core.tenant, true)),
    });
  },
};

/** GET /directoryObjects/{id}: one object of any type, or 404 Request_ResourceNotFound (directoryobject-get). */
const getDirectoryObject: Route = {
  name: 'graph.directoryObjects.get',
  method: 'GET',
  service: 'graph',
  pattern: graphPath('/directoryObjects/{id}'),
  handle(req, ctx) {
    allowQueryOptions(req, 'GET /directoryObjects/{id}', ['$select']);
    requireGraphPermission(ctx, PERMISSIONS.getByIds);
    const id = ctx.params['id']!;
    requireObjectId(id);
    const object = ctx.core.tenant.directoryObject(id);
    if (!object) throw resourceNotFound(id);
    return entity(req, versionOf(ctx.params), 'directoryObjects', 'directoryObject', renderMember(object, ctx.core.tenant, true));
  },
};

const DELETED_FILTER: FilterSpec<ServicePrincipal> = {
  resource: 'DirectoryObject',
  properties: {
    id: { operators: ['eq', 'in'], value: (principal) => principal.id },
    appId: { operators: ['eq', 'in'], value: (principal) => principal.appId },
    displayName: { operators: ['eq', 'in', 'startswith'], value: (principal) => principal.displayName },
  },
};

const CASTS = { servicePrincipal: 'servicePrincipals', group: 'groups', user: 'users' } as const;
type DeletedType = keyof typeof CASTS;

const listDeletedItems: Route = {
  name: 'graph.deletedItems.list',
  method: 'GET',
  service: 'graph',
  pattern: graphPath('/directory/deletedItems/microsoft.graph.{type}'),
  handle(req, ctx) {
    const type = Object.keys(CASTS).find((candidate) => candidate.toLowerCase() === ctx.params['type']!.toLowerCase()) as DeletedType | undefined;
    if (!type) throw new NotImplementedByEmulator(`deleted items of type microsoft.graph.${ctx.params['type']} (only servicePrincipal, group and user)`);
    allowQueryOptions(req, `GET /directory/deletedItems/microsoft.graph.${type}`, ['$filter', '$select', '$top', '$skiptoken', '$count']);
    requireGraphPermission(ctx, DELETED_ITEM_PERMISSIONS[type]);
    const version = versionOf(ctx.params);
    const matches = parseFilter(req.query.get('$filter'), DELETED_FILTER);
    // The emulated directory soft-deletes only application service principals; deleted groups and users do not occur.
    const items = type === 'servicePrincipal' ? [...ctx.core.tenant.deletedServicePrincipals.values()].filter(matches).sort(byId) : [];
    return collection(req, {
      version,
      context: CASTS[type],
      typeName: type,
      items,
      render: (principal) => renderServicePrincipal(principal, ctx.core.tenant),
    });
  },
};

const ANY_DELETED_ITEM_PERMISSION = [...new Set(Object.values(DELETED_ITEM_PERMISSIONS).flat())];

const getDeletedItem: Route = {
  name: 'graph.deletedItems.get',
  method: 'GET',
  service: 'graph',
  pattern: graphPath('/directory/deletedItems/{id}'),
  handle(req, ctx) {
    allowQueryOptions(req, 'GET /directory/deletedItems/{id}', ['$select']);
    const id = ctx.params['id']!;
    const principal = ctx.core.tenant.deletedServicePrincipals.get(id.toLowerCase());
    if (!principal) {
      // Absent, so of no type: any deleted-items read permission lets the caller learn that.
      requireGraphPermission(ctx, ANY_DELETED_ITEM_PERMISSION);
      requireObjectId(id);
      throw resourceNotFound(id);
    }
    requireGraphPermission(ctx, DELETED_ITEM_PERMISSIONS.servicePrincipal);
    const version = versionOf(ctx.params);
    return entity(req, version, 'directoryObjects', 'directoryObject', {
      '@odata.type': '#microsoft.graph.servicePrincipal',
      ...renderServicePrincipal(principal, ctx.core.tenant),
    });
  },
};

/** The typed list comes first: its last segment would otherwise read as an object id. */
export const directoryObjectRoutes: Route[] = [getByIds, getDirectoryObject, listDeletedItems, getDeletedItem];
