/**
 * Invocation and command statuses as AWS reports them. An invocation's StatusDetails is what
 * Capstan stores; its Status is derived from it.
 */
export type InvocationDetails =
  | 'Pending'
  | 'Delayed'
  | 'InProgress'
  | 'Cancelling'
  | 'Success'
  | 'Failed'
  | 'ExecutionTimedOut'
  | 'DeliveryTimedOut'
  | 'Canceled'
  | 'Undeliverable'
  | 'Terminated';

const STATUS: Record<InvocationDetails, string> = {
  Pending: 'Pending',
  Delayed: 'Delayed',
  InProgress: 'InProgress',
  Cancelling: 'Cancelling',
  Success: 'Success',
  Failed: 'Failed',
  ExecutionTimedOut: 'TimedOut',
  DeliveryTimedOut: 'TimedOut',
  Canceled: 'Cancelled',
  Undeliverable: 'Failed',
  // Stopped by the system once MaxErrors was passed: never sent, so cancelled.
  Terminated: 'Cancelled',
};

export const invocationStatus = (details: string): string => STATUS[details as InvocationDetails] ?? details;

/** Command Status values after which nothing about the command changes. */
export const FINISHED_COMMAND: ReadonlySet<string> = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled']);

export const TERMINAL: ReadonlySet<string> = new Set(['Success', 'Failed', 'ExecutionTimedOut', 'DeliveryTimedOut', 'Canceled', 'Undeliverable', 'Terminated']);
/** Not yet received by the node: the delivery timeout applies to these. */
export const UNDELIVERED: ReadonlySet<string> = new Set(['Pending', 'Delayed']);

/** What the agent's final document status means for the invocation. */
export function detailsFromDocument(status: string): InvocationDetails {
  switch (status) {
    case 'Success':
      return 'Success';
    case 'TimedOut':
      return 'ExecutionTimedOut';
    case 'Cancelled':
      return 'Canceled';
    default:
      return 'Failed';
  }
}

export interface Counts {
  target: number;
  completed: number;
  /** Failed and ExecutionTimedOut: what ErrorCount reports. */
  errors: number;
  deliveryTimedOut: number;
  byDetails: Record<string, number>;
}

export function countInvocations(rows: readonly { status_details: string; n: number }[]): Counts {
  const byDetails: Record<string, number> = {};
  let target = 0;
  let completed = 0;
  for (const r of rows) {
    byDetails[r.status_details] = (byDetails[r.status_details] ?? 0) + r.n;
    target += r.n;
    if (TERMINAL.has(r.status_details)) completed += r.n;
  }
  return { target, completed, errors: (byDetails.Failed ?? 0) + (byDetails.ExecutionTimedOut ?? 0), deliveryTimedOut: byDetails.DeliveryTimedOut ?? 0, byDetails };
}

/**
 * The command's Status and StatusDetails from its invocations. Finished: Success when every
 * invocation succeeded; Failed when more failed than MaxErrors allows; TimedOut (Delivery Timed
 * Out) when more timed out in delivery than that; Cancelled after CancelCommand; otherwise
 * Failed with Incomplete. Unfinished: Cancelling after a cancel, else InProgress once any node
 * has the command, else Pending.
 */
export function commandStatus(c: Counts, maxErrors: number, cancelRequested: boolean): { status: string; details: string } {
  if (c.target === 0) return { status: 'Failed', details: 'NoInstancesInTag' };
  if (c.completed === c.target) {
    if (cancelRequested && (c.byDetails.Canceled ?? 0) > 0) return { status: 'Cancelled', details: 'Canceled' };
    if (c.errors > maxErrors) return { status: 'Failed', details: 'Failed' };
    if (c.deliveryTimedOut > maxErrors) return { status: 'TimedOut', details: 'DeliveryTimedOut' };
    if ((c.byDetails.Success ?? 0) === c.target) return { status: 'Success', details: 'Success' };
    return { status: 'Failed', details: 'Incomplete' };
  }
  if (cancelRequested) return { status: 'Cancelling', details: 'Cancelling' };
  const started = c.target - (c.byDetails.Pending ?? 0) - (c.byDetails.Delayed ?? 0);
  return started > 0 ? { status: 'InProgress', details: 'InProgress' } : { status: 'Pending', details: 'Pending' };
}
