import { Clock } from './state/clock.ts';
import { TokenIssuer } from './identity/tokens.ts';
import { FaultInjector, type Interceptor } from './faults/faults.ts';
import { RequestLog } from './server/request-log.ts';
import { ArmOperationFeed } from './arm/operations.ts';
import { MailSink } from './graph/mail.ts';
import { defaultArmPageSizes } from './arm/paging.ts';
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
  /** Items per ARM list page, per surface; tests lower them to force paging. */
  readonly armPageSizes = defaultArmPageSizes();
  /** Consulted in order for every request; the first that answers wins. Faults come first; throttling plugs in here too. */
  readonly interceptors: Interceptor[] = [this.faults.intercept];
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
