import { assertFingerprint, type TicketRef } from './tracker.ts';

/**
 * One tracker's tickets by fingerprint: read once (page by page, on the first lookup) and kept current as the bot
 * writes tickets, so a run costs one listing, not a search per finding. An open ticket wins over closed duplicates.
 * A failed read is forgotten, so the next lookup reads again.
 */
export class TicketIndex {
  private loaded: Promise<Map<string, TicketRef>> | undefined;

  /** `load` hands every ticket it reads to `add` (undefined for one that carries no fingerprint). */
  constructor(private readonly load: (add: (ref: TicketRef | undefined) => void) => Promise<void>) {}

  async find(fingerprint: string): Promise<TicketRef | undefined> {
    assertFingerprint(fingerprint);
    this.loaded ??= this.read();
    try {
      return (await this.loaded).get(fingerprint);
    } catch (error) {
      this.loaded = undefined;
      throw error;
    }
  }

  /** Records a ticket the bot just wrote, if the index was read already (otherwise the read will see it). */
  async remember(ref: TicketRef): Promise<TicketRef> {
    if (this.loaded) (await this.loaded.catch(() => new Map<string, TicketRef>())).set(ref.fingerprint, ref);
    return ref;
  }

  private async read(): Promise<Map<string, TicketRef>> {
    const index = new Map<string, TicketRef>();
    await this.load((ref) => {
      const current = ref ? index.get(ref.fingerprint) : undefined;
      if (ref && (!current || (current.state === 'closed' && ref.state === 'open'))) index.set(ref.fingerprint, ref);
    });
    return index;
  }
}
