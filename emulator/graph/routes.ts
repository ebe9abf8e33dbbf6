import type { Route } from '../server/route.ts';
import { appRoleAssignmentRoutes } from './app-role-assignments.ts';
import { batchRoute } from './batch.ts';
import { directoryObjectRoutes } from './directory-objects.ts';
import { groupRoutes } from './groups.ts';
import { mailRoutes } from './mail.ts';
import { roleManagementRoutes } from './role-management.ts';
import { servicePrincipalRoutes } from './service-principals.ts';
import { signInRoutes } from './sign-ins.ts';

/** Every Graph operation a $batch item may call (a batch cannot nest another). */
const operations: Route[] = [
  ...servicePrincipalRoutes,
  ...appRoleAssignmentRoutes,
  ...groupRoutes,
  ...directoryObjectRoutes,
  ...signInRoutes,
  ...mailRoutes,
  ...roleManagementRoutes,
];

/** Microsoft Graph v1.0 and beta. */
export const graphRoutes: Route[] = [...operations, batchRoute(operations)];
