import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { useAzurite } from '../support/azurite.ts';
import { INFRA_DIR, declaration, parseBicep, stringValue, valueOf } from '../support/bicep.ts';
import { openStateStore } from '../../src/state/state-store.ts';

/** The tables storage.bicep creates are the ones the state store opens with its default prefix, as deployed. */
const azurite = await useAzurite();

test('storage.bicep creates exactly the tables the state store uses', async () => {
  const storage = parseBicep(join(INFRA_DIR, 'modules', 'storage.bicep'));
  const list = valueOf(declaration(storage, 'variable_declaration', 'tableNames'));
  assert.equal(list.type, 'array');
  const deployed = list.namedChildren.map((item) => stringValue(item));
  const store = await openStateStore({ connection: { kind: 'connection-string', connectionString: azurite.connectionString } });
  assert.deepEqual([...deployed].sort(), [...store.tables].sort());
});
