import { z } from 'zod';
import { NotImplementedByEmulator } from '../server/errors.ts';
import { json, type EmulatorRequest, type EmulatorResponse } from '../server/exchange.ts';
import { path, type Route, type RouteContext } from '../server/route.ts';
import { managementGroupScope } from '../state/tenant.ts';
import { invalidQuery, resourceGraphError } from './errors.ts';
import { KqlError } from './kql/errors.ts';
import { compileQuery, type Table } from './kql/evaluator.ts';
import { parseQuery } from './kql/parser.ts';
import type { KqlType } from './kql/values.ts';
import { decodeSkipToken, encodeSkipToken, queryFingerprint } from './paging.ts';
import { TABLE_SCHEMAS, tableRows, type QueryScope } from './tables.ts';
import { Visibility } from './visibility.ts';

/** @azure/arm-resourcegraph 4.2.1 sends 2021-03-01; 5.x sends 2024-04-01. The request and response shapes are the same. */
const API_VERSIONS = ['2021-03-01', '2022-10-01', '2024-04-01'] as const;
const DEFAULT_TOP = 100;

const QueryRequestSchema = z.object({
  subscriptions: z.array(z.string().min(1)).nullish(),
  managementGroups: z.array(z.string().min(1)).nullish(),
  query: z.string().min(1),
  options: z
    .object({
      $top: z.number().int().min(1).max(1000).nullish(),
      $skip: z.number().int().min(0).nullish(),
      $skipToken: z.string().min(1).nullish(),
      resultFormat: z.enum(['table', 'objectArray']).nullish(),
      allowPartialScopes: z.boolean().nullish(),
      authorizationScopeFilter: z.enum(['AtScopeAndBelow', 'AtScopeAndAbove', 'AtScopeExact', 'AtScopeAboveAndBelow']).nullish(),
    })
    .nullish(),
  facets: z.array(z.unknown()).nullish(),
});
type QueryRequest = z.infer<typeof QueryRequestSchema>;

/** Column types as ARG's table format names them. */
const TABLE_COLUMN_TYPES: Record<KqlType, string> = { string: 'string', long: 'integer', real: 'number', bool: 'boolean', dynamic: 'object' };

function queryScope(request: QueryRequest): QueryScope | string {
  const subscriptions = request.subscriptions ?? [];
  const managementGroups = request.managementGroups ?? [];
  if (subscriptions.length > 0 && managementGroups.length > 0) return 'name either subscriptions or managementGroups, not both';
  const scopes =
    subscriptions.length > 0
      ? subscriptions.map((subscriptionId) => `/subscriptions/${subscriptionId}`)
      : managementGroups.length > 0
        ? managementGroups.map(managementGroupScope)
        : ['/'];
  return { scopes, authorizationScopeFilter: request.options?.authorizationScopeFilter ?? 'AtScopeAndBelow' };
}

function renderData(table: Table, format: 'table' | 'objectArray'): unknown {
  if (format === 'table') {
    return {
      columns: table.columns.map((column) => ({ name: column.name, type: TABLE_COLUMN_TYPES[column.type] })),
      rows: table.rows.map((row) => table.columns.map((column) => row[column.name] ?? null)),
    };
  }
  return table.rows.map((row) => Object.fromEntries(table.columns.map((column) => [column.name, row[column.name] ?? null])));
}

function runQuery(req: EmulatorRequest, ctx: RouteContext): EmulatorResponse {
  const parsedBody = QueryRequestSchema.safeParse(req.body);
  if (!parsedBody.success) {
    const problems = parsedBody.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ');
    return resourceGraphError(req, [{ code: 'InvalidRequestContent', message: `The request content is invalid: ${problems}` }]);
  }
  const request = parsedBody.data;
  if ((request.facets ?? []).length > 0) throw new NotImplementedByEmulator('Resource Graph facets (send "facets": [] or leave them out)');
  const scope = queryScope(request);
  if (typeof scope === 'string') return resourceGraphError(req, [{ code: 'InvalidRequestContent', message: scope }]);

  const options = request.options ?? {};
  const fingerprint = queryFingerprint(request.query, scope.scopes.map((s) => s.toLowerCase()).sort(), scope.authorizationScopeFilter);
  let offset = options.$skip ?? 0;
  if (options.$skipToken) {
    const verdict = decodeSkipToken(options.$skipToken, fingerprint);
    if (!verdict.ok) return resourceGraphError(req, [{ code: 'InvalidSkipToken', message: verdict.reason }]);
    offset = verdict.offset;
  }

  const { tenant, resourceGraphPages } = ctx.core;
  const pagingKey = `${ctx.caller!.principalId.toLowerCase()} ${fingerprint}`;
  let result = options.$skipToken ? resourceGraphPages.recall(pagingKey, tenant) : undefined;
  if (!result) {
    try {
      const compiled = compileQuery(parseQuery(request.query), TABLE_SCHEMAS);
      const rows = tableRows(compiled.table, tenant, scope, new Visibility(tenant, ctx.caller!.principalId), ctx.core.resourceGraphLag.roleAssignments(tenant));
      result = compiled.run(rows);
    } catch (error) {
      if (error instanceof KqlError) return invalidQuery(req, error);
      throw error;
    }
  }
  const top = options.$top ?? DEFAULT_TOP;
  const page = result.rows.slice(offset, offset + top);
  const more = offset + page.length < result.rows.length;
  // ARG pages only when it can order by id; without id in the projection it can only say the answer was cut.
  const pageable = result.columns.some((column) => column.name === 'id');
  if (more && pageable) resourceGraphPages.keep(pagingKey, tenant, result);
  else resourceGraphPages.forget(pagingKey);
  return json(200, {
    totalRecords: result.rows.length,
    count: page.length,
    resultTruncated: more && !pageable ? 'true' : 'false',
    ...(more && pageable ? { $skipToken: encodeSkipToken(offset + page.length, fingerprint) } : {}),
    facets: [],
    data: renderData({ columns: result.columns, rows: page }, options.resultFormat ?? 'objectArray'),
  });
}

/**
 * Azure Resource Graph: POST /providers/Microsoft.ResourceGraph/resources with a small, honest KQL subset
 * over resources, resourcecontainers and authorizationresources; rows filtered by the caller's RBAC.
 */
export const resourceGraphRoutes: Route[] = [
  {
    name: 'resourceGraph.resources',
    method: 'POST',
    service: 'arm',
    pattern: path('/providers/Microsoft.ResourceGraph/resources'),
    apiVersions: API_VERSIONS,
    handle: runQuery,
  },
];
