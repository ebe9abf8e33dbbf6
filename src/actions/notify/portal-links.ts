import type { Finding } from '../../model/finding.ts';

const PORTAL = 'https://portal.azure.com';

/**
 * Where in the Azure portal a person fixes or checks a finding: the Access control (IAM) blade of the scope that holds
 * a role assignment, else the identity's resource, else the service principal's Enterprise application page.
 * Every path segment is percent-encoded, so a hostile name cannot end the link or add to it.
 */
export function portalUrlFor(finding: Finding): string | undefined {
  const tenant = encodeURIComponent(finding.tenantId);
  if (finding.roleAssignmentId && finding.scope && finding.scope !== '/') return `${PORTAL}/#@${tenant}/resource${encodedPath(finding.scope)}/users`;
  if (finding.identityResourceId) return `${PORTAL}/#@${tenant}/resource${encodedPath(finding.identityResourceId)}`;
  if (finding.principalId) return `${PORTAL}/#view/Microsoft_AAD_IAM/ManagedAppMenuBlade/~/Overview/objectId/${encodeURIComponent(finding.principalId)}`;
  return undefined;
}

function encodedPath(armId: string): string {
  return armId
    .split('/')
    .filter((segment) => segment.length > 0)
    .map((segment) => `/${encodeURIComponent(segment)}`)
    .join('');
}
