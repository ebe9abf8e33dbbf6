import type { Caller } from '../server/route.ts';
import type { AuthorizationDecision } from '../authz/rbac.ts';

/** A successful ARM write, delete or action: what Event Grid turns into a ResourceXxxSuccess event. */
export interface ArmOperation {
  kind: 'write' | 'delete' | 'action';
  /** ARM id of the resource the operation acted on. */
  resourceId: string;
  /** e.g. `Microsoft.Authorization/roleAssignments/write`. */
  operationName: string;
  resourceProvider: string;
  subscriptionId: string;
  resourceGroup: string | undefined;
  caller: Caller;
  /** The caller's assignment that permitted the call (Event Grid's authorization.evidence). */
  authorization: AuthorizationDecision;
  httpMethod: string;
  url: string;
  correlationId: string;
  clientRequestId: string;
  at: Date;
  /** A write that changed a resource which already existed (Event Grid then carries `httpRequest`, as for deletes). */
  updatedExisting?: boolean;
}

export type ArmOperationListener = (operation: ArmOperation) => void;

/** Fan-out of ARM operations to whoever listens (Event Grid delivery); a listener's failure never fails the operation. */
export class ArmOperationFeed {
  private readonly listeners = new Set<ArmOperationListener>();

  subscribe(listener: ArmOperationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(operation: ArmOperation): void {
    for (const listener of this.listeners) {
      try {
        listener(operation);
      } catch (error) {
        console.error(`[emulator] ARM operation listener failed for ${operation.operationName} on ${operation.resourceId}:`, error);
      }
    }
  }
}
