/**
 * The circuit breaker against a bad policy or a bad inventory: at most `limit` remediations per run (or event
 * batch). Once spent, every further remediation is skipped and the run reports that the breaker tripped.
 */
export class RemediationBudget {
  private used = 0;
  private refusedCount = 0;

  constructor(readonly limit: number) {}

  take(): boolean {
    if (this.used >= this.limit) {
      this.refusedCount += 1;
      return false;
    }
    this.used += 1;
    return true;
  }

  get tripped(): boolean {
    return this.refusedCount > 0;
  }

  get refused(): number {
    return this.refusedCount;
  }
}
