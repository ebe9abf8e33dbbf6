import { Clock } from './state/clock.ts';
import { TokenIssuer } from './identity/tokens.ts';
import { FaultInjector, type Interceptor } from './faults/faults.ts';
import { RequestLog } from './server/request-log.ts';
import { ArmOperationFeed } from './arm/operations.ts';
import { MailSink } from './graph/mail.ts';
import { GitHubSink } from './sinks/github.ts';
import { DevOpsSink } from './sinks/azure-devops.ts';
import { TeamsWorkflowSink } from './sinks/teams.ts';
import { defaultArmPageSizes } from './arm/paging.ts';
import { PagedResults } from './resourcegraph/paged-results.ts';
import { ResourceGraphLag } from './resourcegraph/lag.ts';
import { Throttling } from './throttling/throttling.ts';
import { callerFromToken } from './throttling/caller.ts';
import type { Tenant } from './state/tenant.ts';

/**
 * Everything the routes share: the tenant (replaceable by a new seed), the clock, the token issuer,
 * fault injection, the request log and the feed of ARM operations Event Grid delivers from.
 */
export class EmulatorCore {
  readonly clock = new Clock();
  readonly tokens = new TokenIssuer(this.clock);
  readonly faults = new FaultInjector();
  readonly requests = new RequestLog();
  readonly armOperations = new ArmOperationFeed();
  /** Mail accepted by Graph sendMail (read through GET /_emulator/mail). */
  readonly mail = new MailSink();
  /** What the bot sends to services outside Azure (GET /_emulator/sinks/...). */
  readonly sinks = { teams: new TeamsWorkflowSink(), github: new GitHubSink(), devops: new DevOpsSink() };
  /** Items per ARM list page, per surface; tests lower them to force paging. */
  readonly armPageSizes = defaultArmPageSizes();
  /** Resource Graph answers being paged with `$skipToken`, so later pages are slices of the first one's answer. */
  readonly resourceGraphPages = new PagedResults();
  /** Resource Graph's index lagging behind ARM; live until a test freezes it. */
  readonly resourceGraphLag = new ResourceGraphLag();
  /** The platform's request limits (ARM, Resource Graph, Graph); off until switched on. */
  readonly throttling = new Throttling((req) => callerFromToken(req, this.tokens, this.tenant.tenantId));
  /** Consulted in order for every request; the first that answers wins. Faults come first, then throttling. */
  readonly interceptors: Interceptor[] = [this.faults.intercept, this.throttling.intercept];
  /** Lifetime of the tokens the managed-identity endpoints issue. */
  tokenLifetimeSeconds = 3600;
  /** Latency added to every ARM and Graph request, to model a network. */
  latencyMs = 0;
  /** The App Service-style token endpoint's shared secret (IDENTITY_HEADER). */
  readonly identityHeader: string;

  constructor(
    public tenant: Tenant,
    options: { identityHeader: string },
  ) {
    this.identityHeader = options.identityHeader;
  }
}
