/** Regenerates the README's permissions table: `node --import tsx src/deploy/write-permissions-table.ts` after changing infra/data/bot-permissions.json. */
import { README_FILE, writePermissionsTable } from './permissions-table.ts';

writePermissionsTable();
console.log(`wrote the permissions table in ${README_FILE}`);
