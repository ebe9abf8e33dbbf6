/** What the emulator was asked, for tests and benchmarks that count API calls. */
export interface LoggedRequest {
  at: Date;
  method: string;
  path: string;
  route: string;
  status: number;
  principalId: string | undefined;
  requestId: string;
}

export class RequestLog {
  private entries: LoggedRequest[] = [];
  private readonly counts = new Map<string, number>();

  constructor(private readonly keep = 20_000) {}

  record(entry: LoggedRequest): void {
    this.counts.set(entry.route, (this.counts.get(entry.route) ?? 0) + 1);
    this.entries.push(entry);
    if (this.entries.length > this.keep) this.entries.splice(0, this.entries.length - this.keep);
  }

  /** The most recent requests (up to the retention limit), oldest first. */
  recent(): readonly LoggedRequest[] {
    return this.entries;
  }

  /** Requests per route name since the last reset. */
  countsByRoute(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  total(): number {
    let sum = 0;
    for (const count of this.counts.values()) sum += count;
    return sum;
  }

  reset(): void {
    this.entries = [];
    this.counts.clear();
  }
}
