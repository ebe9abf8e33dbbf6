import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileQuery, type Column, type Row } from '../../emulator/resourcegraph/kql/evaluator.ts';
import { parseQuery } from '../../emulator/resourcegraph/kql/parser.ts';
import { KqlError } from '../../emulator/resourcegraph/kql/errors.ts';

const COLUMNS: Column[] = [
  { name: 'id', type: 'string' },
  { name: 'name', type: 'string' },
  { name: 'type', type: 'string' },
  { name: 'properties', type: 'dynamic' },
  { name: 'identity', type: 'dynamic' },
];

const ROWS: Row[] = [
  { id: '/r/a', name: 'alpha', type: 'microsoft.web/sites', properties: { n: 3, tags: ['x', 'y'] }, identity: { userAssignedIdentities: { '/u/1': {}, '/u/2': {} } } },
  { id: '/r/b', name: 'Beta', type: 'microsoft.storage/storageaccounts', properties: { n: 1, tags: [] }, identity: null },
  { id: '/r/c', name: 'gamma', type: 'microsoft.web/sites/slots', properties: { n: null }, identity: { type: 'SystemAssigned' } },
];

function run(query: string, rows: Row[] = ROWS) {
  return compileQuery(parseQuery(query), { t: COLUMNS }).run(rows);
}

const names = (query: string) => run(query).rows.map((row) => row['name']);

test('equality operators: == is case-sensitive, =~ is not; their negations', () => {
  assert.deepEqual(names("t | where name == 'beta'"), []);
  assert.deepEqual(names("t | where name =~ 'beta'"), ['Beta']);
  assert.deepEqual(names("t | where name != 'alpha'"), ['Beta', 'gamma']);
  assert.deepEqual(names("t | where name !~ 'BETA'"), ['alpha', 'gamma']);
  assert.deepEqual(names('t | where properties.n == 3'), ['alpha']);
});

test('in and in~ lists, and their negations', () => {
  assert.deepEqual(names("t | where name in ('alpha', 'beta')"), ['alpha']);
  assert.deepEqual(names("t | where name in~ ('alpha', 'beta')"), ['alpha', 'Beta']);
  assert.deepEqual(names("t | where name !in~ ('alpha', 'beta')"), ['gamma']);
});

test('has matches whole terms; contains, startswith and endswith match text, all case-insensitively', () => {
  assert.deepEqual(names("t | where type has 'WEB'"), ['alpha', 'gamma']);
  assert.deepEqual(names("t | where type has 'we'"), []);
  assert.deepEqual(names("t | where type has 'web/sites'"), ['alpha', 'gamma']);
  assert.deepEqual(names("t | where type contains 'ORAGE'"), ['Beta']);
  assert.deepEqual(names("t | where type startswith 'Microsoft.Web'"), ['alpha', 'gamma']);
  assert.deepEqual(names("t | where type endswith '/SLOTS'"), ['gamma']);
  assert.deepEqual(names("t | where type !contains 'web'"), ['Beta']);
  assert.deepEqual(names("t | where type has_cs 'WEB'"), []);
});

test('emptiness and nullness: a missing property is null, an empty string is empty but not null', () => {
  assert.deepEqual(names('t | where isnotempty(identity)'), ['alpha', 'gamma']);
  assert.deepEqual(names('t | where isnull(properties.n)'), ['gamma']);
  assert.deepEqual(names('t | where isempty(properties.missing.deeper)'), ['alpha', 'Beta', 'gamma']);
  assert.deepEqual(names("t | extend s = tostring(properties.missing) | where isempty(s) and isnotnull(s)"), ['alpha', 'Beta', 'gamma']);
});

test('and, or and not() combine predicates', () => {
  assert.deepEqual(names("t | where name == 'alpha' or (type has 'storage' and not(isempty(name)))"), ['alpha', 'Beta']);
});

test('functions: tolower, toupper, tostring of dynamic values, strcat, bag_keys, array_length', () => {
  const result = run(
    "t | where name == 'alpha' | project upper = toupper(name), text = tostring(properties.tags), keys = bag_keys(identity.userAssignedIdentities), n = array_length(properties.tags), joined = strcat(name, '-', properties.n)",
  );
  assert.deepEqual(result.rows, [{ upper: 'ALPHA', text: '["x","y"]', keys: ['/u/1', '/u/2'], n: 2, joined: 'alpha-3' }]);
  assert.deepEqual(
    result.columns.map((c) => c.type),
    ['string', 'string', 'dynamic', 'long', 'string'],
  );
});

test('mv-expand: arrays give a row per element, bags a row per one-entry bag, null one row, empty none', () => {
  assert.deepEqual(
    run('t | mv-expand tag = properties.tags | project name, tag').rows,
    [
      { name: 'alpha', tag: 'x' },
      { name: 'alpha', tag: 'y' },
      { name: 'gamma', tag: null },
    ],
  );
  assert.deepEqual(
    run("t | where name == 'alpha' | mv-expand identity.userAssignedIdentities | project identity_userAssignedIdentities").rows,
    [{ identity_userAssignedIdentities: { '/u/1': {} } }, { identity_userAssignedIdentities: { '/u/2': {} } }],
  );
  assert.deepEqual(
    run('t | mv-expand uai = bag_keys(identity.userAssignedIdentities) | project name, uai = tostring(uai)').rows,
    [
      { name: 'alpha', uai: '/u/1' },
      { name: 'alpha', uai: '/u/2' },
      { name: 'Beta', uai: '' },
      { name: 'gamma', uai: '' },
    ],
  );
});

test('order by: descending by default, stable, with nulls placed as asked', () => {
  assert.deepEqual(names('t | order by name'), ['gamma', 'alpha', 'Beta']);
  assert.deepEqual(names('t | sort by name asc'), ['Beta', 'alpha', 'gamma']);
  assert.deepEqual(names('t | order by properties.n asc'), ['gamma', 'Beta', 'alpha']);
  assert.deepEqual(names('t | order by properties.n desc'), ['alpha', 'Beta', 'gamma']);
  assert.deepEqual(names('t | order by properties.n desc nulls first'), ['gamma', 'alpha', 'Beta']);
  assert.deepEqual(names("t | extend k = 1 | order by k asc"), ['alpha', 'Beta', 'gamma']);
});

test('limit and take keep the first rows', () => {
  assert.deepEqual(names('t | take 2'), ['alpha', 'Beta']);
  assert.deepEqual(names('t | limit 0'), []);
});

test('extend sees its own earlier assignments and replaces a column where it stands', () => {
  const result = run("t | where name == 'Beta' | extend name = tolower(name), shout = toupper(name)");
  assert.deepEqual(
    result.columns.map((c) => c.name),
    ['id', 'name', 'type', 'properties', 'identity', 'shout'],
  );
  assert.equal(result.rows[0]!['shout'], 'BETA');
  assert.equal(result.rows[0]!['name'], 'beta');
});

test('summarize count() by groups in first-seen order; without by it answers one row even for nothing', () => {
  assert.deepEqual(run("t | extend web = type has 'web' | summarize count() by web").rows, [
    { web: true, count_: 2 },
    { web: false, count_: 1 },
  ]);
  assert.deepEqual(run('t | summarize n = count()', []).rows, [{ n: 0 }]);
  assert.deepEqual(run('t | summarize by type | count').rows, [{ Count: 3 }]);
});

test('columns are checked before any row is read, case-sensitively, with a hint', () => {
  assert.throws(
    () => run('t | project Name', []),
    (error: unknown) => error instanceof KqlError && error.code === 'UnknownColumn' && /did you mean 'name'/.test(error.message),
  );
  assert.throws(
    () => run('t | project id | where name == "x"', []),
    (error: unknown) => error instanceof KqlError && error.code === 'UnknownColumn' && error.token === 'name',
  );
  assert.throws(
    () => run('t | project a = id, a = name', []),
    (error: unknown) => error instanceof KqlError && error.code === 'InvalidArgument',
  );
  assert.throws(
    () => compileQuery(parseQuery('securityresources'), { t: COLUMNS }),
    (error: unknown) => error instanceof KqlError && error.code === 'UnknownTable' && error.token === 'securityresources',
  );
});
