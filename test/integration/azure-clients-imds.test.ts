import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAzureConfig } from '../../src/azure/config.ts';
import { ARM_SCOPE, createAzureClients } from '../../src/azure/clients.ts';
import { RoleAssignments } from '../../src/azure/role-assignments.ts';
import { useEmulator } from '../support/emulator.ts';
import { smallTenant } from '../support/seeds.ts';
import { BOT_CLIENT, BOT_PRINCIPAL, SUB_PROD } from '../support/ids.ts';

/**
 * The VM / AKS style managed identity (IMDS), in its own file because MSAL fixes the managed-identity
 * source for the whole process at first use: here the App Service variables are removed before any
 * credential exists and AZURE_POD_IDENTITY_AUTHORITY_HOST points IMDS at the emulator.
 */
const emulator = await useEmulator({ seed: smallTenant() });
delete process.env['IDENTITY_ENDPOINT'];
delete process.env['IDENTITY_HEADER'];
process.env['AZURE_POD_IDENTITY_AUTHORITY_HOST'] = emulator.baseUrl;

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));

test('the managed identity credential gets the bot a token from the IMDS endpoint and ARM accepts it', async () => {
  const clients = createAzureClients(loadAzureConfig(emulator.env));
  const mark = emulator.core.requests.recent().length;
  const token = await clients.credential.getToken(ARM_SCOPE);
  assert.equal(claimsOf(token!.token).oid, BOT_PRINCIPAL);
  assert.ok(emulator.core.requests.recent().slice(mark).some((entry) => entry.route === 'token.imds'), 'the token came from the IMDS route');

  const assignments = [];
  for await (const assignment of new RoleAssignments(clients).listForSubscription(SUB_PROD)) assignments.push(assignment);
  assert.ok(assignments.some((assignment) => assignment.principalId === BOT_PRINCIPAL));
});

test('a user-assigned identity is selected by client id over IMDS too', async () => {
  const clients = createAzureClients(loadAzureConfig({ ...emulator.env, AZURE_CLIENT_ID: BOT_CLIENT }));
  const token = await clients.credential.getToken(ARM_SCOPE);
  assert.equal(claimsOf(token!.token).appid, BOT_CLIENT);
});
