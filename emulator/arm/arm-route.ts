import type { Route } from '../server/route.ts';

/**
 * Route builder for one ARM surface: names read `arm.{family}.{operation}` (what request counts and
 * fault rules match on). Without `apiVersions` the route checks the api-version itself.
 */
export const armRoute =
  (family: string, apiVersions?: readonly string[]) =>
  (operation: string, method: Route['method'], pattern: RegExp, handle: Route['handle']): Route => ({
    name: `arm.${family}.${operation}`,
    method,
    service: 'arm',
    pattern,
    ...(apiVersions ? { apiVersions } : {}),
    handle,
  });
