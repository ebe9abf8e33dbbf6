/**
 * The api-versions each ARM surface accepts: what the installed SDKs send and the documented stable
 * versions whose wire shape is the one rendered here. Anything else is refused with ARM's 400.
 */
export const API_VERSIONS = {
  /** @azure/arm-authorization 9.0.0 sends 2022-04-01 for role assignments and role definitions. */
  authorization: ['2022-04-01'],
  /** @azure/arm-msi 2.2.0 sends 2024-11-30; 2023-01-31 and 2018-11-30 differ only by `isolationScope`. */
  managedIdentity: ['2018-11-30', '2023-01-31', '2024-11-30'],
  subscriptions: ['2016-06-01', '2020-01-01', '2021-01-01', '2022-12-01'],
  /** Microsoft.Resources: resource groups and resource lists; @azure/arm-resources 7.0.0 sends 2025-04-01. */
  resources: ['2019-10-01', '2020-06-01', '2021-04-01', '2022-09-01', '2024-03-01', '2025-04-01'],
  managementGroups: ['2020-05-01', '2021-04-01', '2023-04-01'],
} as const satisfies Record<string, readonly string[]>;

/** `isolationScope` appeared in the 2024-11-30 user-assigned identity schema. */
export const hasIsolationScope = (apiVersion: string | null) => apiVersion !== null && apiVersion >= '2024-11-30';
