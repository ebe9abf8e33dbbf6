/** Fixed ids for hand-written test tenants: readable, valid GUIDs. */
export const TENANT_ID = '72f988bf-0000-4000-8000-000000000001';
export const SUB_PROD = '11111111-1111-4111-8111-111111111111';
export const SUB_DEV = '22222222-2222-4222-8222-222222222222';
export const BOT_PRINCIPAL = 'b0700000-0000-4000-8000-000000000001';
export const BOT_CLIENT = 'b0700000-0000-4000-8000-0000000000c1';
export const HUMAN_ADMIN = 'ad000000-0000-4000-8000-000000000001';
export const APP_PRINCIPAL = 'a9900000-0000-4000-8000-000000000001';
export const UAMI_PRINCIPAL = 'c0000000-0000-4000-8000-000000000001';
export const UAMI_CLIENT = 'c0000000-0000-4000-8000-0000000000c1';
export const DELETED_PRINCIPAL = 'dead0000-0000-4000-8000-000000000001';

export const UAMI_ID = `/subscriptions/${SUB_PROD}/resourceGroups/rg-app/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-app`;
export const BOT_IDENTITY_ID = `/subscriptions/${SUB_PROD}/resourceGroups/rg-idwarden/providers/Microsoft.ManagedIdentity/userAssignedIdentities/idwarden`;
export const WEB_APP_ID = `/subscriptions/${SUB_PROD}/resourceGroups/rg-app/providers/Microsoft.Web/sites/app1`;
export const MG_PROD = 'mg-prod';
