/** What happened to one finding's action: the per-item result, as Cloud Custodian's ActionResults keep it. */
export interface ActionOutcome {
  findingId: string;
  action: string;
  status: 'done' | 'dry-run' | 'skipped' | 'failed';
  reason: string;
  /** The audit record that documents it. */
  auditId?: string;
}
