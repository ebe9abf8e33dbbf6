import type { Route } from '../server/route.ts';
import { identityRoutes } from './identities.ts';
import { managementGroupRoutes } from './management-groups.ts';
import { resourceGroupRoutes } from './resource-groups.ts';
import { resourceRoutes } from './resources.ts';
import { roleAssignmentRoutes } from './role-assignments.ts';
import { roleDefinitionRoutes } from './role-definitions.ts';
import { subscriptionRoutes } from './subscriptions.ts';

/**
 * Azure Resource Manager: RBAC, managed identities, subscriptions, resource groups, resources and
 * management groups. Tried in this order: every specific surface before the generic resource routes,
 * which would otherwise claim any `/providers/{namespace}/{type}/{name}` path.
 */
export const armRoutes: Route[] = [
  ...roleAssignmentRoutes,
  ...roleDefinitionRoutes,
  ...identityRoutes,
  ...subscriptionRoutes,
  ...resourceGroupRoutes,
  ...managementGroupRoutes,
  ...resourceRoutes,
];
