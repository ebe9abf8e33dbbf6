import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  INFRA_DIR,
  argumentsOf,
  bodyOf,
  declaration,
  declarations,
  declaredName,
  parseBicep,
  property,
  stringValue,
  valueOf,
  type BicepFile,
  type SyntaxNode,
} from '../support/bicep.ts';
import { EVENT_GRID_FILTER_VALUE_LIMIT, SUCCESS_EVENT_TYPES, watchedOperations } from '../../src/events/watched-operations.ts';

/**
 * The event subscription's filter and the handler read one list: infra/data/watched-operations.json. Bicep
 * cannot be evaluated here, so the test follows the template's expressions back to that file and evaluates
 * the two small mappings itself.
 */
const TOPIC = join(INFRA_DIR, 'modules', 'event-topic.bicep');
const WATCHED_FILE = join(INFRA_DIR, 'data', 'watched-operations.json');

interface Filter {
  /** The JSON file the values come from. */
  file: string;
  operationNames: string[];
  eventTypes: string[];
}

/** The variable a bare identifier names, with the JSON file a `loadJsonContent` variable reads. */
function variable(file: BicepFile, name: string): SyntaxNode {
  return valueOf(declaration(file, 'variable_declaration', name));
}

function loadedFile(file: BicepFile, name: string): string {
  const value = variable(file, name);
  assert.equal(value.type, 'call_expression', `var ${name} loads the data file`);
  assert.equal(value.namedChildren[0]!.text, 'loadJsonContent', `var ${name} loads the data file`);
  return resolve(dirname(file.path), stringValue(argumentsOf(value)[0])!);
}

/** `map(<json var>.operations, x => x.<field>)`, evaluated against the JSON it reads. */
function mappedField(file: BicepFile, expression: SyntaxNode, field: string): { file: string; values: unknown[] } {
  assert.equal(expression.type, 'call_expression', `${expression.text} is a map() over the data file`);
  assert.equal(expression.namedChildren[0]!.text, 'map');
  const [source, lambda] = argumentsOf(expression);
  const over = /^([A-Za-z_][A-Za-z0-9_]*)\.operations$/.exec(source?.text ?? '');
  assert.ok(over, `${expression.text} maps the file's operations`);
  assert.match(lambda?.text ?? '', new RegExp(`^([A-Za-z_][A-Za-z0-9_]*)\\s*=>\\s*\\1\\.${field}$`), `${expression.text} takes each operation's ${field}`);
  const path = loadedFile(file, over[1]!);
  const json = JSON.parse(readFileSync(path, 'utf8')) as { operations: Record<string, unknown>[] };
  return { file: path, values: json.operations.map((operation) => operation[field]) };
}

/** Reads the StringIn filter on data.operationName and includedEventTypes of the event subscription, back to their data. */
function eventFilter(file: BicepFile): Filter {
  const subscription = declarations(file, 'resource_declaration').find((resource) =>
    stringValue(resource.namedChildren.find((child) => child.type === 'string'))?.startsWith('Microsoft.EventGrid/systemTopics/eventSubscriptions@'),
  );
  assert.ok(subscription, `${file.name} declares the system topic's event subscription`);
  const filter = property(property(bodyOf(subscription), 'properties')!, 'filter')!;
  const advanced = property(filter, 'advancedFilters')!.namedChildren.filter((node) => node.type === 'object');
  const stringIn = advanced.filter((entry) => stringValue(property(entry, 'operatorType')) === 'StringIn' && stringValue(property(entry, 'key')) === 'data.operationName');
  assert.equal(stringIn.length, 1, 'one StringIn filter on data.operationName');
  const values = property(stringIn[0]!, 'values')!;
  assert.equal(values.type, 'identifier', 'the filter values come from a variable, not a literal list');
  const names = mappedField(file, variable(file, values.text), 'operationName');

  const included = property(filter, 'includedEventTypes')!;
  assert.equal(included.type, 'identifier', 'the included event types come from a variable');
  // reduce(flatten(map(<json>.operations, x => x.eventTypes)), [], dedupe): the distinct event types, in order.
  const reduce = variable(file, included.text);
  assert.equal(reduce.namedChildren[0]!.text, 'reduce');
  const [flattened, initial, dedupe] = argumentsOf(reduce);
  assert.equal(flattened!.namedChildren[0]!.text, 'flatten');
  assert.equal(initial!.text, '[]');
  assert.match(dedupe!.text.replace(/\s+/g, ''), /^\((\w+),(\w+)\)=>contains\(\1,\2\)\?\1:concat\(\1,\[\2\]\)$/);
  const types = mappedField(file, argumentsOf(flattened!)[0]!, 'eventTypes');
  assert.equal(types.file, names.file, 'event types and operation names come from the same file');
  const eventTypes = [...new Set((types.values as string[][]).flat())];
  return { file: names.file, operationNames: names.values as string[], eventTypes };
}

const topic = parseBicep(TOPIC);

test('the event subscription filters on exactly the operations the handler processes, from the shared file', () => {
  const filter = eventFilter(topic);
  assert.equal(filter.file, WATCHED_FILE);
  assert.deepEqual(filter.operationNames, watchedOperations.map((operation) => operation.operationName));
  assert.ok(filter.operationNames.length <= EVENT_GRID_FILTER_VALUE_LIMIT, `Event Grid allows ${EVENT_GRID_FILTER_VALUE_LIMIT} filter values`);
  assert.deepEqual(new Set(filter.eventTypes), new Set(watchedOperations.flatMap((operation) => operation.eventTypes)));
  for (const type of filter.eventTypes) assert.ok(Object.values(SUCCESS_EVENT_TYPES).includes(type as never), type);
});

test('the filter check refuses a literal list or another file', () => {
  const literal = parseBicep(TOPIC, topic.source.replace('values: operationNames', "values: ['Microsoft.Authorization/roleAssignments/write']"));
  assert.throws(() => eventFilter(literal), /come from a variable/);
  const otherFile = parseBicep(TOPIC, topic.source.replace("'../data/watched-operations.json'", "'../data/bot-permissions.json'"));
  assert.throws(() => eventFilter(otherFile));
  const otherField = parseBicep(TOPIC, topic.source.replace('operation => operation.operationName', 'operation => operation.objectKind'));
  assert.throws(() => eventFilter(otherField), /operationName/);
});

test('a system topic per watched subscription delivers to the activityEvents function, with retries and a dead-letter container', () => {
  const topicBody = property(bodyOf(declaration(topic, 'resource_declaration', 'topic')), 'properties')!;
  assert.equal(stringValue(property(topicBody, 'topicType')), 'Microsoft.Resources.Subscriptions');
  assert.equal(property(topicBody, 'source')?.text, 'subscription().id');
  assert.equal(stringValue(property(bodyOf(declaration(topic, 'resource_declaration', 'topic')), 'location')), 'global');

  const subscription = property(bodyOf(declaration(topic, 'resource_declaration', 'activityEvents')), 'properties')!;
  assert.equal(stringValue(property(property(subscription, 'destination')!, 'endpointType')), 'AzureFunction');
  const retry = property(subscription, 'retryPolicy')!;
  assert.equal(property(retry, 'maxDeliveryAttempts')?.text, '30');
  assert.equal(property(retry, 'eventTimeToLiveInMinutes')?.text, '1440');
  const deadLetter = property(subscription, 'deadLetterWithResourceIdentity')!;
  assert.equal(stringValue(property(property(deadLetter, 'deadLetterDestination')!, 'endpointType')), 'StorageBlob');
  assert.equal(stringValue(property(property(deadLetter, 'identity')!, 'type')), 'UserAssigned');

  const main = parseBicep(join(INFRA_DIR, 'main.bicep'));
  const sources = declaration(main, 'module_declaration', 'eventSources');
  assert.equal(valueOf(sources).type, 'for_statement', 'one event source per watched subscription');
  const params = property(bodyOf(sources), 'params')!;
  assert.equal(property(params, 'functionResourceId')?.text, "'${functionApp.outputs.id}/functions/activityEvents'");
  assert.equal(property(bodyOf(sources), 'scope')?.text, 'subscription(subscriptionId)');
  const eventSource = parseBicep(join(INFRA_DIR, 'modules', 'event-source.bicep'));
  assert.deepEqual(declarations(eventSource, 'module_declaration').map(declaredName), ['topic']);
});
