import type { SeedInput } from '../../emulator/seed/schema.ts';
import { smallTenant } from './seeds.ts';
import * as id from './ids.ts';

/** Directory objects the Graph tests add to the small tenant. */
export const DELETED_APP = 'de1e7ed0-0000-4000-8000-000000000001';
export const GROUP_ADMINS = '90000000-0000-4000-8000-0000000000a1';
export const GROUP_DEPLOYERS = '90000000-0000-4000-8000-0000000000d1';
export const MAILBOX = 'idwarden@contoso.example';
export const MAILBOX_USER = 'ad000000-0000-4000-8000-0000000000b0';

/**
 * The small tenant plus what the Graph surface needs: a soft-deleted app, nested groups (the inner one
 * role-assignable, holding a directory role), Graph app roles on the app identity, sign-ins and a mailbox.
 */
export function graphTenant(overrides: Partial<SeedInput> = {}): SeedInput {
  return smallTenant({
    users: [
      { id: id.HUMAN_ADMIN, displayName: 'Ops Admin', userPrincipalName: 'ops.admin@contoso.example' },
      { id: MAILBOX_USER, displayName: 'idwarden', userPrincipalName: MAILBOX },
    ],
    deletedServicePrincipals: [{ id: DELETED_APP, displayName: 'old-app', deletedDateTime: '2026-05-01T00:00:00Z' }],
    groups: [
      // Entra forbids groups inside role-assignable groups, so the nesting goes the other way.
      { id: GROUP_ADMINS, displayName: 'platform-admins', members: [id.UAMI_PRINCIPAL, id.HUMAN_ADMIN], isAssignableToRole: true },
      { id: GROUP_DEPLOYERS, displayName: 'deployers', members: [GROUP_ADMINS] },
    ],
    directoryRoleAssignments: [
      { principalId: GROUP_ADMINS, role: 'Privileged Role Administrator' },
      { principalId: id.APP_PRINCIPAL, role: 'Application Administrator' },
    ],
    appRoleAssignments: [
      { principalId: id.BOT_PRINCIPAL, permission: 'Directory.Read.All' },
      { principalId: id.UAMI_PRINCIPAL, permission: 'Application.ReadWrite.All', createdAt: '2026-03-02T00:00:00Z' },
      { principalId: id.UAMI_PRINCIPAL, permission: 'Mail.Send', createdAt: '2026-03-03T00:00:00Z' },
      { principalId: id.APP_PRINCIPAL, permission: 'GroupMember.Read.All' },
    ],
    signInActivity: [
      { principalId: id.UAMI_PRINCIPAL, lastSignIn: '2026-06-01T08:00:00Z' },
      { principalId: id.APP_PRINCIPAL, lastSignIn: '2026-04-01T00:00:00Z' },
    ],
    ...overrides,
  });
}
