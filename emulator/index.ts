import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { EmulatorCore } from './core.ts';
import { EmulatorServer } from './server/server.ts';
import { ensureTlsMaterial } from './tls/certificate.ts';
import { buildTenant, loadSeedFile } from './seed/load.ts';
import type { SeedInput } from './seed/schema.ts';
import { Tenant } from './state/tenant.ts';
import { tokenRoutes } from './identity/routes.ts';
import { controlRoutes } from './control/routes.ts';
import { throttlingRoutes } from './throttling/routes.ts';
import { withOverrides, type LimitOverrides } from './throttling/limits.ts';
import { armRoutes } from './arm/routes.ts';
import { graphRoutes } from './graph/routes.ts';
import { resourceGraphRoutes } from './resourcegraph/routes.ts';
import { EventGridDelivery } from './eventgrid/delivery.ts';
import { eventGridRoutes } from './eventgrid/routes.ts';
import { teamsRoutes } from './sinks/teams.ts';
import { sinkRoutes } from './sinks/routes.ts';
import { GITHUB_API_PATH } from './sinks/github.ts';
import { DEVOPS_PATH } from './sinks/azure-devops.ts';
import type { Route } from './server/route.ts';

export const DEMO_SEED = join(import.meta.dirname, 'seeds', 'demo.json');

export interface EmulatorOptions {
  /** A seed file path, a seed object, or a built tenant; the demo tenant when absent. */
  seed?: string | SeedInput | Tenant;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Latency added to every ARM and Graph request. */
  latencyMs?: number;
  /** Apply the platform's request limits (off by default): `true` for the documented ones, or some of them changed. */
  throttling?: boolean | LimitOverrides;
  /**
   * Runs the emulator's clock from this instant on (a seed written "as of" a date stays true). Tokens then live
   * long enough to be current by the wall clock too, which is what client token caches compare against.
   */
  clockStartsAt?: Date;
}

export interface RunningEmulator {
  core: EmulatorCore;
  baseUrl: string;
  eventGrid: EventGridDelivery;
  /** What a client needs in its environment to use this emulator as its Azure (see README). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Composes every emulated service on one HTTPS listener. Routes are tried in this order. */
export const allRoutes: readonly Route[] = [...controlRoutes, ...throttlingRoutes, ...eventGridRoutes, ...tokenRoutes, ...graphRoutes, ...resourceGraphRoutes, ...teamsRoutes, ...sinkRoutes, ...armRoutes];

function tenantFrom(seed: EmulatorOptions['seed']): Tenant {
  if (seed instanceof Tenant) return seed;
  if (seed === undefined) return loadSeedFile(DEMO_SEED);
  return typeof seed === 'string' ? loadSeedFile(seed) : buildTenant(seed);
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const tls = await ensureTlsMaterial();
  const identityHeader = randomBytes(16).toString('hex');
  const core = new EmulatorCore(tenantFrom(options.seed), { identityHeader });
  core.latencyMs = options.latencyMs ?? 0;
  if (options.clockStartsAt) {
    const shift = options.clockStartsAt.getTime() - Date.now();
    core.clock.advance(shift);
    core.tokenLifetimeSeconds += Math.max(0, Math.ceil(-shift / 1000));
  }
  if (options.throttling) core.throttling.enable(withOverrides(options.throttling === true ? {} : options.throttling));
  const server = new EmulatorServer(core, allRoutes, tls);
  const baseUrl = await server.listen(options.port ?? 0);
  const eventGrid = new EventGridDelivery(core);
  return {
    core,
    baseUrl,
    eventGrid,
    env: {
      IDWARDEN_ARM_ENDPOINT: baseUrl,
      IDWARDEN_GRAPH_ENDPOINT: baseUrl,
      IDWARDEN_CREDENTIAL: 'managed-identity',
      IDENTITY_ENDPOINT: `${baseUrl}/msi/token`,
      IDENTITY_HEADER: identityHeader,
      NODE_EXTRA_CA_CERTS: tls.certPath,
      // Tickets: GitHub Issues and Azure DevOps work items land in the emulator's sinks.
      IDWARDEN_GITHUB_API_URL: `${baseUrl}${GITHUB_API_PATH}`,
      IDWARDEN_AZURE_DEVOPS_URL: `${baseUrl}${DEVOPS_PATH}`,
      GITHUB_TOKEN: core.sinks.github.token,
    },
    async stop() {
      await eventGrid.close();
      await server.close();
    },
  };
}
