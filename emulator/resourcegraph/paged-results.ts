import type { Tenant } from '../state/tenant.ts';
import type { Table } from './kql/evaluator.ts';

/**
 * The answer of a query that is being paged, kept from its first page so that each `$skipToken` page is a slice
 * instead of a new run over the whole table (a second or more per page at 100,000 role assignments). The pages
 * of one query thus read the state as of its first page, one consistent answer; a query sent without a skip
 * token always reads the state afresh. A token whose answer is no longer kept (evicted, answered to the end,
 * or from before a new seed) is served by running the query again, as before.
 */
export class PagedResults {
  private readonly kept = new Map<string, { tenant: Tenant; table: Table }>();

  /** A few queries page at once (a sweep sends three or four side by side); the oldest goes first. */
  constructor(private readonly capacity = 8) {}

  recall(key: string, tenant: Tenant): Table | undefined {
    const entry = this.kept.get(key);
    return entry?.tenant === tenant ? entry.table : undefined;
  }

  keep(key: string, tenant: Tenant, table: Table): void {
    this.kept.delete(key);
    this.kept.set(key, { tenant, table });
    while (this.kept.size > this.capacity) this.kept.delete(this.kept.keys().next().value!);
  }

  forget(key: string): void {
    this.kept.delete(key);
  }
}
