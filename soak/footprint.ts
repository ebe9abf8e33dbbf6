import { TableServiceClient, TableClient } from '@azure/data-tables';
import { QueueServiceClient } from '@azure/storage-queue';
import type { SoakWorld } from './world.ts';

const MB = 1024 * 1024;
const round1 = (value: number) => Math.round(value * 10) / 10;

/**
 * This process's memory over the soak (the emulator, the bot and the soak share it; Azurite is a process of its
 * own). Sampled every `everyMs`; growth from start to end with the load unchanged is what a leak looks like.
 */
export class MemorySampler {
  readonly samples: { atSeconds: number; rssMb: number; heapUsedMb: number }[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly startedAt = performance.now();

  constructor(everyMs: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): void {
    const { rss, heapUsed } = process.memoryUsage();
    this.samples.push({ atSeconds: Math.round((performance.now() - this.startedAt) / 1000), rssMb: round1(rss / MB), heapUsedMb: round1(heapUsed / MB) });
  }

  stop() {
    clearInterval(this.timer);
    this.sample();
    const first = this.samples[0]!;
    const last = this.samples.at(-1)!;
    return {
      rssMb: { start: first.rssMb, peak: Math.max(...this.samples.map((s) => s.rssMb)), end: last.rssMb },
      heapUsedMb: { start: first.heapUsedMb, peak: Math.max(...this.samples.map((s) => s.heapUsedMb)), end: last.heapUsedMb },
      peakRssMbByGetrusage: round1(process.resourceUsage().maxRSS / 1024),
      samples: this.samples,
    };
  }
}

/** Entities in each of the bot's tables and messages in its queues, as Azurite holds them now. */
export async function storageSizes(world: SoakWorld): Promise<{ tables: Record<string, number>; queues: Record<string, number> }> {
  const connection = world.azurite.connectionString;
  const options = { allowInsecureConnection: true };
  const tables: Record<string, number> = {};
  for await (const table of TableServiceClient.fromConnectionString(connection, options).listTables()) {
    let count = 0;
    for await (const _ of TableClient.fromConnectionString(connection, table.name!, options).listEntities({ queryOptions: { select: ['PartitionKey'] } })) count += 1;
    tables[table.name!] = count;
  }
  const queues: Record<string, number> = {};
  const queueService = QueueServiceClient.fromConnectionString(connection);
  for await (const queue of queueService.listQueues()) {
    queues[queue.name] = (await queueService.getQueueClient(queue.name).getProperties()).approximateMessagesCount ?? 0;
  }
  return { tables, queues };
}
