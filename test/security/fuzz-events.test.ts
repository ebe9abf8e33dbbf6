import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import azureFunctions from '@azure/functions';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { toCloudEvent, type EventGridEvent } from '../../emulator/eventgrid/events.ts';
import { credentialFor, useEmulator } from '../support/emulator.ts';
import { useAzurite } from '../support/azurite.ts';
import { loadFunctionsApp, invocationContext } from '../support/functions-host.ts';
import { OFFICIAL_FIXTURES, officialFixture, officialFixturesMissing } from '../support/official-fixtures.ts';
import { smallTenant } from '../support/seeds.ts';
import { HUMAN_ADMIN, SUB_DEV, TENANT_ID, UAMI_PRINCIPAL } from '../support/ids.ts';
import { ARM_SCOPE } from '../../src/azure/clients.ts';

/**
 * Fuzzing the two registered event handlers (the webhook and the Event Grid trigger) with random JSON and with
 * mutations of real events: Event Grid's published samples (when ../shared is present) and the emulator's own
 * rendering, both pointed at a privileged role assignment that exists, so an intact event is judged and yields a
 * finding. Properties: a handler never throws anything but the trigger's deliberate "deliver it again" error; the
 * webhook answers 200 or 503; and a malformed event never yields a finding. Bounded in runs and time.
 */

const emulator = await useEmulator({ seed: smallTenant() });
const azurite = await useAzurite();
Object.assign(process.env, emulator.env, { IDWARDEN_STORAGE_CONNECTION_STRING: azurite.connectionString, IDWARDEN_TABLE_PREFIX: `fuzz${process.pid}` });
const functions = await loadFunctionsApp();
const webhook = functions.get('eventGridWebhook')!;
const activityEvents = functions.get('activityEvents')!;

const RUNS = 300;
const TIME_LIMIT_MS = 9_000;
const REDELIVER = /^event .* was not decided; asking Event Grid to deliver it again$/;

// A privileged assignment that exists (Owner at subscription scope for a managed identity), and Event Grid's event for it.
const ASSIGNMENT_NAME = 'f0220000-0000-4000-8000-000000000001';
const rendered: EventGridEvent[] = [];
await emulator.eventGrid.subscribe({
  name: 'fuzz-templates',
  schema: 'EventGridSchema',
  deliver: async (body) => {
    rendered.push(...(body as EventGridEvent[]));
    return 200;
  },
});
const granted = await new AuthorizationManagementClient(credentialFor(emulator, HUMAN_ADMIN), SUB_DEV, { endpoint: emulator.baseUrl, credentialScopes: [ARM_SCOPE] }).roleAssignments.create(
  `/subscriptions/${SUB_DEV}`,
  ASSIGNMENT_NAME,
  { roleDefinitionId: `/subscriptions/${SUB_DEV}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635`, principalId: UAMI_PRINCIPAL, principalType: 'ServicePrincipal' },
);
await emulator.eventGrid.flush();
const OBJECT_ID = granted.id!;
const OPERATION = 'Microsoft.Authorization/roleAssignments/write';

type Json = Record<string, unknown>;

/**
 * A published sample that breaks the CloudEvents spec: SOURCES.md records that the subscriptions WriteSuccess sample
 * has `"specversion": "\`1.0"` and `topic` instead of `source`. It is a malformed event, not a template.
 */
const publishedDefect = (sample: Json) => 'specversion' in sample && (sample['specversion'] !== '1.0' || !('source' in sample));
const defectiveSamples: { file: string; event: Json }[] = [];

/** Intact events about the assignment: the emulator's rendering in both schemas, and Event Grid's published write samples retargeted. */
function templates(): { source: string; event: Json }[] {
  const own = rendered.find((event) => event.data.resourceUri.toLowerCase() === OBJECT_ID.toLowerCase());
  assert.ok(own, 'the emulator rendered the grant');
  const found = [
    { source: 'emulator EventGridSchema', event: own as unknown as Json },
    { source: 'emulator CloudEvents', event: toCloudEvent(own) as unknown as Json },
  ];
  if (officialFixturesMissing) return found;
  for (const file of readdirSync(`${OFFICIAL_FIXTURES}/event-grid`).filter((name) => /ResourceWriteSuccess\.(eventgrid|cloudevents)\.json$/.test(name))) {
    const [sample] = officialFixture<Json[]>(`event-grid/${file}`);
    const data = sample!['data'] as Json;
    const retargeted: Json = {
      ...sample,
      ...('subject' in sample! ? { subject: OBJECT_ID } : {}),
      data: { ...data, resourceUri: OBJECT_ID, operationName: OPERATION, subscriptionId: SUB_DEV, tenantId: TENANT_ID, authorization: { scope: OBJECT_ID, action: OPERATION, evidence: {} }, claims: { oid: HUMAN_ADMIN } },
    };
    if (publishedDefect(sample!)) defectiveSamples.push({ file, event: retargeted });
    else found.push({ source: `official ${file}`, event: retargeted });
  }
  return found;
}
const TEMPLATES = templates();

// Every generated event is new to the ledger (a fresh id) and later than the last (the ledger orders events per object).
let clockMs = emulator.core.clock.now().getTime();
function fresh(template: Json): Json {
  const event = structuredClone(template);
  clockMs += 1;
  const time = new Date(clockMs).toISOString();
  event['id'] = `fz-${randomUUID()}`;
  if ('specversion' in event) event['time'] = time;
  else event['eventTime'] = time;
  return event;
}

/** A generated event, whether it must be refused (anything it breaks is something the bot must not judge on). */
interface Case {
  event: unknown;
  malformed: boolean;
  what: string;
}

const wrongType = fc.oneof(fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.string(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }));
const envelopeRequired = (event: Json) => ('specversion' in event ? ['specversion', 'id', 'source', 'type', 'time', 'data'] : ['id', 'topic', 'subject', 'eventType', 'eventTime', 'data', 'dataVersion', 'metadataVersion']);
const DATA_REQUIRED = ['resourceUri', 'operationName', 'status', 'subscriptionId', 'tenantId'];
const HOSTILE_URIS = [`https://evil.example${OBJECT_ID}`, `//evil.example${OBJECT_ID}`, `${OBJECT_ID}?x=1`, `${OBJECT_ID}/..`, OBJECT_ID.replace('/providers', '/..%2Fproviders'), `${OBJECT_ID}#x`, OBJECT_ID.replace(ASSIGNMENT_NAME, 'not-a-guid')];
/** ARM ids compare case-insensitively with repeated and trailing slashes ignored: a mutation that keeps the id is no mutation. */
const sameArmId = (a: string, b: string) => {
  const canonical = (id: string) => `/${id}`.replace(/\/+/g, '/').replace(/\/$/, '').toLowerCase();
  return canonical(a) === canonical(b);
};

function mutationOf(template: Json): fc.Arbitrary<Case> {
  const base = () => fresh(template);
  const keyOf = (event: Json, eventGrid: string, cloud: string) => ('specversion' in event ? cloud : eventGrid);
  const dropEnvelopeField = fc.constantFrom(...envelopeRequired(template)).map((field): Case => {
    const event = base();
    delete event[field];
    return { event, malformed: true, what: `without ${field}` };
  });
  const retypeEnvelopeField = fc.tuple(fc.constantFrom(...envelopeRequired(template)), wrongType).map(([field, value]): Case => {
    const event = base();
    event[field] = value;
    return { event, malformed: true, what: `${field} = ${JSON.stringify(value)}` };
  });
  const dropDataField = fc.constantFrom(...DATA_REQUIRED).map((field): Case => {
    const event = base();
    delete (event['data'] as Json)[field];
    return { event, malformed: true, what: `without data.${field}` };
  });
  const retypeDataField = fc.tuple(fc.constantFrom(...DATA_REQUIRED), wrongType).map(([field, value]): Case => {
    const event = base();
    (event['data'] as Json)[field] = value;
    return { event, malformed: true, what: `data.${field} = ${JSON.stringify(value)}` };
  });
  const notArmEventType = fc.string({ maxLength: 40 }).filter((type) => !/^Microsoft\.Resources\.ResourceWriteSuccess$/i.test(type)).map((type): Case => {
    const event = base();
    event[keyOf(event, 'eventType', 'type')] = type;
    return { event, malformed: true, what: `type ${JSON.stringify(type)}` };
  });
  const notATime = fc.string({ maxLength: 30 }).filter((time) => !/^\d{4}-\d{2}-\d{2}T/.test(time)).map((time): Case => {
    const event = base();
    event[keyOf(event, 'eventTime', 'time')] = time;
    return { event, malformed: true, what: `time ${JSON.stringify(time)}` };
  });
  const notSucceeded = fc.oneof(fc.constantFrom('Failed', 'Canceled', 'Started', ''), fc.string({ maxLength: 12 })).filter((status) => status.toLowerCase() !== 'succeeded').map((status): Case => {
    const event = base();
    (event['data'] as Json)['status'] = status;
    return { event, malformed: true, what: `status ${JSON.stringify(status)}` };
  });
  const otherOperation = fc.oneof(fc.constantFrom('Microsoft.Authorization/roleAssignments/delete', 'Microsoft.Authorization/roleAssignments/action', 'Microsoft.Storage/storageAccounts/write', ''), fc.string({ maxLength: 40 }))
    .filter((operation) => operation.toLowerCase() !== OPERATION.toLowerCase())
    .map((operation): Case => {
      const event = base();
      (event['data'] as Json)['operationName'] = operation;
      return { event, malformed: true, what: `operation ${JSON.stringify(operation)}` };
    });
  const otherResource = fc
    .oneof(
      fc.constantFrom(...HOSTILE_URIS),
      fc.string({ maxLength: 60 }),
      fc.tuple(fc.nat({ max: OBJECT_ID.length }), fc.string({ minLength: 1, maxLength: 6 })).map(([at, inserted]) => `${OBJECT_ID.slice(0, at)}${inserted}${OBJECT_ID.slice(at)}`),
    )
    .filter((uri) => !sameArmId(uri, OBJECT_ID))
    .map((uri): Case => {
      const event = base();
      (event['data'] as Json)['resourceUri'] = uri;
      return { event, malformed: true, what: `resourceUri ${JSON.stringify(uri)}` };
    });
  // Intact, or with extra fields Event Grid may add one day: must still be judged (the control that shows findings happen).
  const intact = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((key) => !(key in template) && key !== '__proto__'), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }).map((extra): Case => ({ event: { ...base(), ...extra }, malformed: false, what: 'intact' }));
  return fc.oneof(dropEnvelopeField, retypeEnvelopeField, dropDataField, retypeDataField, notArmEventType, notATime, notSucceeded, otherOperation, otherResource, intact);
}

const anyCase: fc.Arbitrary<Case> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...TEMPLATES).chain(({ event }) => mutationOf(event)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((event): Case => ({ event, malformed: true, what: 'random JSON' })) },
);

const tally = { cases: 0, malformed: 0, intact: 0, judgedWithFindings: 0, redelivered: 0 };

/** The outcome lines the function logged, each an event's decision. */
function findingsById(lines: string[]): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of lines) {
    const match = /^event \S+ id=(\S+) .*? findings=(\d+) /.exec(line);
    if (match) found.set(match[1]!, Number(match[2]));
  }
  return found;
}

/** A malformed event yields no finding; at most the intact ones do. */
function checkFindings(cases: Case[], lines: string[]): void {
  const found = findingsById(lines);
  for (const { event, malformed, what } of cases) {
    tally.cases += 1;
    tally[malformed ? 'malformed' : 'intact'] += 1;
    const id = typeof event === 'object' && event !== null ? (event as Json)['id'] : undefined;
    const count = typeof id === 'string' ? (found.get(id) ?? 0) : 0;
    if (malformed) assert.equal(count, 0, `a finding from a malformed event (${what}): ${lines.join('\n')}`);
    else if (count > 0) tally.judgedWithFindings += 1;
  }
  const total = [...found.values()].filter((count) => count > 0).length;
  assert.ok(total <= cases.filter((c) => !c.malformed).length, `more events yielded findings than were intact: ${lines.join('\n')}`);
}

test(`fuzz: the webhook function answers every delivery (≤ ${RUNS} batches) without throwing; malformed events yield no finding`, async () => {
  const started = performance.now();
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(anyCase, { minLength: 1, maxLength: 4 }), fc.boolean(), async (cases, single) => {
      runs += 1;
      // Event Grid posts an array; a lone event (the CloudEvents structured mode) must be read too.
      const body = single && cases.length === 1 ? cases[0]!.event : cases.map((c) => c.event);
      const request = new azureFunctions.HttpRequest({ method: 'POST', url: 'https://idwarden.example/api/events', body: { string: JSON.stringify(body) } });
      const { context, logs } = invocationContext('eventGridWebhook');
      const response = (await webhook.handler(request, context)) as { status: number };
      const lines = logs.map((log) => log.message);
      assert.ok(response.status === 200 || response.status === 503, `status ${response.status}: ${lines.join('\n')}`);
      if (response.status === 503) tally.redelivered += 1;
      checkFindings(cases, lines);
    }),
    { numRuns: RUNS, seed: 20261124, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
  );
  console.log(`# webhook fuzz: ${runs} deliveries, ${JSON.stringify(tally)} in ${Math.round(performance.now() - started)} ms`);
  assert.ok(runs >= 50, `only ${runs} runs within the time limit`);
  assert.ok(tally.judgedWithFindings > 0, 'intact events were judged into findings: the property can fail');
});

test(`fuzz: the Event Grid trigger throws only its deliberate redelivery error (≤ ${RUNS} events); malformed events yield no finding`, async () => {
  const started = performance.now();
  let runs = 0;
  Object.assign(tally, { cases: 0, malformed: 0, intact: 0, judgedWithFindings: 0, redelivered: 0 });
  await fc.assert(
    fc.asyncProperty(anyCase, async (generated) => {
      runs += 1;
      const { context, logs } = invocationContext('activityEvents');
      try {
        await activityEvents.handler(generated.event, context);
      } catch (error) {
        assert.ok(error instanceof Error && REDELIVER.test(error.message), `${generated.what}: threw ${error instanceof Error ? error.stack : String(error)}`);
        tally.redelivered += 1;
      }
      checkFindings([generated], logs.map((log) => log.message));
    }),
    { numRuns: RUNS, seed: 20261125, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
  );
  console.log(`# trigger fuzz: ${runs} events, ${JSON.stringify(tally)} in ${Math.round(performance.now() - started)} ms`);
  assert.ok(runs >= 50, `only ${runs} runs within the time limit`);
  assert.ok(tally.judgedWithFindings > 0, 'intact events were judged into findings: the property can fail');
});

test('the templates are what the fuzzers mutate: each, intact, is judged into a finding', { skip: TEMPLATES.length === 0 }, async () => {
  const sources = TEMPLATES.map(({ source }) => source);
  if (!officialFixturesMissing) assert.ok(sources.some((source) => source.startsWith('official')), `official samples used: ${sources.join(', ')}`);
  for (const { source, event } of TEMPLATES) {
    const { context, logs } = invocationContext('activityEvents');
    await activityEvents.handler(fresh(event), context);
    assert.ok(logs.some((log) => /^event judged .* findings=[1-9]/.test(log.message)), `${source}: ${logs.map((log) => log.message).join('\n')}`);
  }
  for (const { file, event } of defectiveSamples) {
    const { context, logs } = invocationContext('activityEvents');
    await activityEvents.handler(fresh(event), context);
    assert.equal(logs.length, 1);
    assert.match(logs[0]!.message, /^event rejected index=0 id=fz-\S+: specversion: Invalid input: expected "1.0"; source: required: expected string$/, `the published ${file} is refused, saying why`);
  }
});
