import type { AzureClients } from '../../azure/clients.ts';
import type { Policy } from '../../policy/schema.ts';
import { digestCard, findingCard, teamsMessage, DIGEST_ROWS, type AdaptiveCard } from './adaptive-card.ts';
import type { AlertItem, AlertRun } from './alert.ts';
import { deliverWithRetry, type DeliveryAttempt } from './delivery.ts';
import { summarize } from './digest.ts';
import { sendAlertEmail } from './email.ts';
import { digestEmail, findingEmail, EMAIL_DIGEST_ROWS, type AlertEmail } from './email-message.ts';
import { EMAIL_RATE, RateLimiter, systemClock, TEAMS_RATE, type NotifyClock } from './rate-limiter.ts';
import { postTeamsMessage, teamsWebhookFrom } from './teams.ts';

/**
 * Sends one run's alerts (a sweep, or a batch of events): every channel the policy configures gets one message per
 * finding when there are few, and ONE digest when there are more than DIGEST_THRESHOLD, so a sweep with 500 findings
 * posts one Teams card and sends one email. Each channel has its own rate limiter; failed deliveries are retried
 * within DELIVERY_RETRY. Nothing is thrown for a failed delivery and no finding is dropped: the result says, per
 * finding and channel, whether it was sent, failed (and why) or skipped, and the caller keeps the finding.
 */

export type AlertChannel = 'teams' | 'email';

export interface AlertOutcome {
  findingId: string;
  channel: AlertChannel;
  status: 'sent' | 'failed' | 'skipped';
  /** Why it failed or was skipped; for a sent alert, what it went out in. */
  reason: string;
  /** Whether the finding went out in its own message or in the run's digest. */
  message?: 'single' | 'digest';
  /** Delivery attempts made for the message that carried it. */
  attempts: number;
}

/** A small logger: Azure Functions' InvocationContext and console both fit. */
export interface NotifyLog {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

export interface AlertDispatcherDeps {
  /** App settings, read when a run is sent (the Teams webhook URL lives in one). */
  env: Readonly<Record<string, string | undefined>>;
  /** The bot's Graph client, for email. */
  clients?: Pick<AzureClients, 'graph'>;
  clock?: NotifyClock;
  log?: NotifyLog;
  random?: () => number;
}

/** More alertable findings than this in one run go out as one digest per channel. */
export const DIGEST_THRESHOLD = 3;

/** Which findings the policy wants alerted: enforcing, and an action that is more than a report. */
function skipReason(item: AlertItem): string | undefined {
  const { decision } = item.finding;
  if (decision.dryRun) return 'dry-run: the policy sends no alerts';
  if (decision.exemption) return `exempt: ${decision.exemption.reason}`;
  if (decision.action === 'report') return "the policy's action for this finding is report";
  return undefined;
}

interface Message<T> {
  items: AlertItem[];
  kind: 'single' | 'digest';
  payload: T;
}

export interface AlertDispatcher {
  dispatch(items: readonly AlertItem[], notify: Policy['notify'], run: AlertRun): Promise<AlertOutcome[]>;
}

export function createAlertDispatcher(deps: AlertDispatcherDeps): AlertDispatcher {
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? console;
  const limiters = new Map<string, RateLimiter>();
  const limiterFor = (channel: AlertChannel, destination: string) => {
    const key = `${channel}\u0000${destination}`;
    let limiter = limiters.get(key);
    if (!limiter) {
      limiter = new RateLimiter(channel === 'teams' ? TEAMS_RATE : EMAIL_RATE, clock);
      limiters.set(key, limiter);
    }
    return limiter;
  };

  function messages<T>(items: AlertItem[], single: (item: AlertItem) => T, digest: (items: AlertItem[]) => T): Message<T>[] {
    if (items.length > DIGEST_THRESHOLD) return [{ items, kind: 'digest', payload: digest(items) }];
    return items.map((item) => ({ items: [item], kind: 'single', payload: single(item) }));
  }

  async function send<T>(channel: AlertChannel, destination: string, batch: Message<T>[], post: (payload: T) => Promise<DeliveryAttempt>): Promise<AlertOutcome[]> {
    const outcomes: AlertOutcome[] = [];
    for (const message of batch) {
      const { attempt, attempts } = await deliverWithRetry(() => post(message.payload), {
        clock,
        limiter: limiterFor(channel, destination),
        ...(deps.random ? { random: deps.random } : {}),
        onRetry: (failure, failedAttempts, waitMs) => log.warn(`[idwarden.notify] ${channel}: attempt ${failedAttempts} failed (${failure.reason}); retrying in ${Math.round(waitMs)} ms`),
      });
      const what = message.kind === 'digest' ? `digest of ${message.items.length} findings` : `alert for ${message.items[0]!.finding.id}`;
      if (attempt.ok) log.info(`[idwarden.notify] ${channel}: sent ${what} (attempt ${attempts})`);
      else log.error(`[idwarden.notify] ${channel}: could not send ${what} after ${attempts} attempt(s): ${attempt.reason}`);
      for (const item of message.items) {
        outcomes.push({
          findingId: item.finding.id,
          channel,
          status: attempt.ok ? 'sent' : 'failed',
          reason: attempt.ok ? `sent in ${message.kind === 'digest' ? "the run's digest" : 'its own message'}` : attempt.reason,
          message: message.kind,
          attempts,
        });
      }
    }
    return outcomes;
  }

  const failAll = (items: AlertItem[], channel: AlertChannel, reason: string): AlertOutcome[] => {
    log.error(`[idwarden.notify] ${channel}: ${items.length} alert(s) not sent: ${reason}`);
    return items.map((item) => ({ findingId: item.finding.id, channel, status: 'failed', reason, attempts: 0 }));
  };

  async function toTeams(items: AlertItem[], setting: string, run: AlertRun): Promise<AlertOutcome[]> {
    const lookup = teamsWebhookFrom(setting, deps.env);
    if (!lookup.ok) return failAll(items, 'teams', lookup.reason);
    const batch = messages<AdaptiveCard>(items, findingCard, (all) => digestCard(summarize(all, DIGEST_ROWS), run));
    return send('teams', lookup.webhook.url.host, batch, (card) => postTeamsMessage(lookup.webhook, teamsMessage(card), () => clock.now()));
  }

  async function toEmail(items: AlertItem[], route: { from: string; to: string[] }, run: AlertRun): Promise<AlertOutcome[]> {
    const { clients } = deps;
    if (!clients) return failAll(items, 'email', 'no Microsoft Graph client was given to send email with');
    const batch = messages<AlertEmail>(items, findingEmail, (all) => digestEmail(summarize(all, EMAIL_DIGEST_ROWS), run));
    return send('email', route.from.toLowerCase(), batch, (email) => sendAlertEmail(clients, route, email));
  }

  return {
    async dispatch(items, notify, run) {
      const channels: AlertChannel[] = [...(notify.teams ? ['teams' as const] : []), ...(notify.email ? ['email' as const] : [])];
      const outcomes: AlertOutcome[] = [];
      const alertable: AlertItem[] = [];
      for (const item of items) {
        const reason = skipReason(item);
        if (reason === undefined) alertable.push(item);
        else for (const channel of channels) outcomes.push({ findingId: item.finding.id, channel, status: 'skipped', reason, attempts: 0 });
      }
      if (alertable.length === 0) return outcomes;
      if (notify.teams) outcomes.push(...(await toTeams(alertable, notify.teams.webhookUrlSetting, run)));
      if (notify.email) outcomes.push(...(await toEmail(alertable, notify.email, run)));
      return outcomes;
    },
  };
}
