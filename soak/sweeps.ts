import { invocationContext } from '../src/hosting/local-functions-host.ts';
import type { QuietPoint } from './quiet-point.ts';
import { errorType, percentile, sleep, Tally } from './tally.ts';
import type { SoakWorld } from './world.ts';

/** A failed scan's message comes back this long after (the host's visibility timeout, shortened). */
const RETRY_VISIBILITY_SECONDS = 5;
/** A sweep whose messages are not all handled by then is counted unfinished (they stay queued for the next). */
const DRAIN_LIMIT_MS = 120_000;
const SCAN_DONE = /^scan done .* gaps=(\d+) actions=(\d+) alerts=(\d+) tickets=(\d+)( circuit-breaker=tripped)?/;

export class SweepFigures {
  started = 0;
  readonly outcomes = new Tally();
  readonly batches = new Tally();
  readonly errors = new Tally();
  actionsReported = 0;
  alertsSent = 0;
  ticketsChanged = 0;
  breakerTrips = 0;
  readonly seconds: number[] = [];

  toJSON() {
    return {
      started: this.started,
      outcomes: this.outcomes.toJSON(),
      batches: this.batches.toJSON(),
      actionsReported: this.actionsReported,
      alertsSent: this.alertsSent,
      ticketsChanged: this.ticketsChanged,
      circuitBreakerTrips: this.breakerTrips,
      errors: this.errors.toJSON(),
      seconds: { p50: percentile(this.seconds, 50), max: percentile(this.seconds, 100) },
    };
  }
}

/**
 * One sweep as the Functions host runs it: the timer function, then every scan-request message through the queue
 * function; a scan that throws is left on the queue and comes back with its dequeue count raised (the function
 * poisons it on the last attempt), as the host does. Its outcome: `clean` (every batch done, no gap), `partial`
 * (done with gaps), `retried` (some batch failed first), `timer-failed`, `unfinished`.
 */
export async function runSweep(world: SoakWorld, quiet: QuietPoint, figures: SweepFigures): Promise<string> {
  figures.started += 1;
  const started = performance.now();
  const outcome = await sweepOnce(world, quiet, figures);
  figures.outcomes.add(outcome);
  figures.seconds.push((performance.now() - started) / 1000);
  return outcome;
}

async function sweepOnce(world: SoakWorld, quiet: QuietPoint, figures: SweepFigures): Promise<string> {
  const { scanQueue } = world.runtime;
  try {
    await quiet.work(() => world.functions.get('sweep')!.handler({ isPastDue: false }, invocationContext('sweep').context) as Promise<void>);
  } catch (error) {
    figures.errors.add(`timer threw ${errorType(error)}`);
    return 'timer-failed';
  }
  let gaps = false;
  let retried = false;
  const deadline = performance.now() + DRAIN_LIMIT_MS;
  while (performance.now() < deadline) {
    const { receivedMessageItems } = await scanQueue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: RETRY_VISIBILITY_SECONDS });
    if (receivedMessageItems.length === 0) {
      if ((await scanQueue.getProperties()).approximateMessagesCount === 0) return retried ? 'retried' : gaps ? 'partial' : 'clean';
      await sleep(1_000);
      continue;
    }
    for (const item of receivedMessageItems) {
      const { context, logs } = invocationContext('scanSubscriptions', { triggerMetadata: { dequeueCount: item.dequeueCount } });
      try {
        await quiet.work(() => world.functions.get('scanSubscriptions')!.handler(JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8')), context) as Promise<void>);
        await scanQueue.deleteMessage(item.messageId, item.popReceipt);
      } catch (error) {
        figures.errors.add(`scan threw ${errorType(error)}`);
        figures.batches.add('thrown, left for redelivery');
        retried = true;
        continue;
      }
      for (const { level, message } of logs) {
        const done = SCAN_DONE.exec(message);
        if (done) {
          const [, gapCount, actions, alerts, tickets, tripped] = done;
          figures.batches.add(Number(gapCount) > 0 ? 'done with gaps' : 'done');
          gaps ||= Number(gapCount) > 0;
          figures.actionsReported += Number(actions);
          figures.alertsSent += Number(alerts);
          figures.ticketsChanged += Number(tickets);
          if (tripped) figures.breakerTrips += 1;
        } else if (message.startsWith('scan request poisoned')) {
          figures.batches.add('poisoned');
          retried = true;
        } else if (level === 'error') {
          figures.errors.add(`scan logged: ${message.replace(/ finding=\S+.*$/, '').slice(0, 60)}`);
        }
      }
    }
  }
  return 'unfinished';
}
