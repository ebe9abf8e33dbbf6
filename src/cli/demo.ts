import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TokenCredential } from '@azure/identity';
import azureFunctions from '@azure/functions';
import type { RunningEmulator } from '../../emulator/index.ts';
import { startLocalAzure } from './local-azure.ts';
import { SEED_AS_OF } from '../../emulator/seed/as-of.ts';
import { loadFunctionsApp, invocationContext, type RegisteredFunction } from '../hosting/local-functions-host.ts';
import { createRuntime, installSharedRuntime } from '../runtime/runtime.ts';
import { runSweep } from '../pipeline/sweep.ts';
import { renderReport } from '../report/render.ts';
import { reportedAction } from '../report/scan-report.ts';

/** The instant the demo tenant is written against (emulator/seeds/demo.md). */
export const DEMO_AS_OF = new Date(SEED_AS_OF);
const PROD = '5b000001-0000-4000-8000-000000000001';
const ADA = 'e0000000-0000-4000-8000-000000000001';
const REPORT_DIRECTORY = 'idwarden-report';

export interface DemoOptions {
  enforce: boolean;
  out: (text: string) => void;
}

/**
 * `npm start`: the demo tenant in the emulator and a real Azurite, the Functions app hosted in-process, a person
 * making risky changes that Event Grid delivers to the registered webhook, then the timer's sweep through the
 * queue, and a report of it all. The emulator's clock starts at the demo's "as of" instant, so the tenant's
 * planted cases are judged as documented.
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const { out } = options;
  const local = await startLocalAzure({ clockStartsAt: DEMO_AS_OF });
  const { emulator } = local;
  try {
    const policyFile = new URL(options.enforce ? '../policy/examples/enforce.yaml' : '../policy/default-policy.yaml', import.meta.url).pathname;
    if (options.enforce) {
      // A deployment with email on grants the bot Mail.Send (infra: enableEmail); the sweep will flag that it holds it.
      const tenant = emulator.core.tenant;
      const mailSend = tenant.microsoftGraph.appRoles.find((role) => role.value === 'Mail.Send')!;
      tenant.grantAppRole(tenant.bot.principalId, mailSend.id, tenant.microsoftGraph.id, emulator.core.clock.now());
    }
    // The Teams channel is the emulator's Workflows sink; the enforce policy names this app setting.
    const teams = emulator.core.sinks.teams.createWorkflow(emulator.baseUrl, 'secops channel');
    const env: Record<string, string> = {
      ...local.env,
      IDWARDEN_POLICY_FILE: policyFile,
      IDWARDEN_SWEEP_BATCH_SIZE: '10',
      TEAMS_WEBHOOK_URL: teams.url,
    };
    const runtime = await createRuntime(env, { now: () => emulator.core.clock.now() });
    installSharedRuntime(runtime);
    const functions = await loadFunctionsApp();
    const invoke = async (name: string, ...args: unknown[]) => {
      const fn = functions.get(name) as RegisteredFunction;
      const { context, logs } = invocationContext(name, name === 'scanSubscriptions' ? { triggerMetadata: { dequeueCount: 1 } } : {});
      const result = await fn.handler(...args, context);
      for (const log of logs) out(`  [${name}] ${log.message}`);
      return result;
    };
    out(`idwarden demo: tenant ${emulator.core.tenant.tenantId} as of ${DEMO_AS_OF.toISOString()}, policy ${runtime.policy.policy.enforcement} (${policyFile.split('/').slice(-2).join('/')})`);

    // Event Grid delivers every ARM change to the registered webhook function, as an HTTP POST would.
    await emulator.eventGrid.subscribe({
      name: 'idwarden-demo',
      schema: 'EventGridSchema',
      deliver: async (body, headers) => {
        const request = new azureFunctions.HttpRequest({ method: 'POST', url: 'https://idwarden.local/api/events', headers, body: { string: JSON.stringify(body) } });
        return ((await invoke('eventGridWebhook', request)) as { status: number }).status;
      },
    });

    out('\n1. Ada Lovelace creates a user-assigned identity and makes it Owner of contoso-prod:');
    const ada = personCredential(emulator, ADA);
    const { ManagedServiceIdentityClient } = await import('@azure/arm-msi');
    const { AuthorizationManagementClient } = await import('@azure/arm-authorization');
    const armOptions = { endpoint: emulator.baseUrl, credentialScopes: ['https://management.azure.com/.default'] };
    const identity = await new ManagedServiceIdentityClient(ada, PROD, armOptions).userAssignedIdentities.createOrUpdate('rg-data-prod', 'uami-quarterly-export', { location: 'westeurope' });
    await new AuthorizationManagementClient(ada, PROD, armOptions).roleAssignments.create(`/subscriptions/${PROD}`, 'de400000-0000-4000-8000-000000000001', {
      roleDefinitionId: `/subscriptions/${PROD}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635`,
      principalId: identity.principalId!,
      principalType: 'ServicePrincipal',
    });
    await emulator.eventGrid.flush();
    await emulator.eventGrid.flush();

    out('\n2. The timer starts a sweep; each queue message is scanned by the queue function:');
    await invoke('sweep', { isPastDue: false });
    for (;;) {
      const { receivedMessageItems } = await runtime.scanQueue.receiveMessages({ numberOfMessages: 32 });
      if (receivedMessageItems.length === 0) break;
      for (const item of receivedMessageItems) {
        await invoke('scanSubscriptions', JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8')));
        await runtime.scanQueue.deleteMessage(item.messageId, item.popReceipt);
      }
    }

    out('\n3. What the bot did (audit log):');
    const audit = await runtime.state.audit.list();
    const counts = new Map<string, number>();
    for (const record of audit) counts.set(`${record.action ?? record.kind} ${record.outcome}`, (counts.get(`${record.action ?? record.kind} ${record.outcome}`) ?? 0) + 1);
    for (const [what, count] of [...counts].sort()) out(`  ${String(count).padStart(3)} × ${what}`);
    const open = await runtime.state.findings.listOpen();
    out(`  ${open.length} findings open in the state store`);
    out(`  ${emulator.core.sinks.teams.posts().length} Teams message(s) and ${emulator.core.mail.list().length} email(s) sent`);
    out(`  ${emulator.core.sinks.github.requests.length} GitHub and ${emulator.core.sinks.devops.requests.length} Azure DevOps ticket request(s)`);

    const sweep = await runSweep(runtime.clients, runtime.policy, { asOf: runtime.now(), apiCalls: () => emulator.core.requests.countsByRoute() });
    // Decisions and actions, each with the audit id `idwarden restore` takes.
    const report = { ...sweep.report, actions: audit.filter((record) => record.kind !== 'decision' || record.dryRun).map(reportedAction) };
    out(`\n4. The tenant now:\n`);
    out(renderReport(report, 'table'));
    mkdirSync(REPORT_DIRECTORY, { recursive: true });
    writeFileSync(join(REPORT_DIRECTORY, 'report.json'), renderReport(report, 'json'));
    writeFileSync(join(REPORT_DIRECTORY, 'report.md'), renderReport(report, 'markdown'));
    writeFileSync(join(REPORT_DIRECTORY, 'report.html'), renderReport(report, 'html'));
    out(`wrote ${REPORT_DIRECTORY}/report.json, report.md, report.html`);
    return 0;
  } finally {
    await local.stop();
  }
}

/** A person signed in to the portal: tokens the emulator issues for that user. */
function personCredential(emulator: RunningEmulator, principalId: string): TokenCredential {
  return {
    async getToken(scopes) {
      const audience = (Array.isArray(scopes) ? scopes[0]! : scopes).replace(/\/\.default$/, '');
      const { token, claims } = emulator.core.tokens.mint({ principalId, tenantId: emulator.core.tenant.tenantId, audience, kind: 'user', lifetimeSeconds: emulator.core.tokenLifetimeSeconds });
      return { token, expiresOnTimestamp: claims.exp * 1000 };
    },
  };
}
