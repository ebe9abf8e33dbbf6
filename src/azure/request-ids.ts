/** Receives the request id of each Azure response an action gets (ARM `x-ms-request-id`, Graph `request-id`), for its audit record. */
export type RequestIdSink = (requestId: string) => void;

interface ArmResponse {
  status: number;
  headers: { get(name: string): string | undefined };
}

/**
 * Operation options for the ARM SDK clients that hand each response's `x-ms-request-id` to the sink, and its
 * status to `onStatus` (a delete answers 200 when it removed something, 204 when nothing was there).
 */
export const armRequestIds = (sink: RequestIdSink | undefined, onStatus?: (status: number) => void) => ({
  onResponse: (response: ArmResponse) => {
    onStatus?.(response.status);
    const id = response.headers.get('x-ms-request-id');
    if (id) sink?.(id);
  },
});
