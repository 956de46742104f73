import type { ReactNode } from 'react';
import { describeError } from '../api/errors';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

/** An API or network failure, with the AWS error code so the user can search for it. */
export function ErrorBox({ error, retry, title, testId }: { error: unknown; retry?: () => void; title?: string; testId?: string }) {
  const { code, message } = describeError(error);
  return (
    <div className="error-box" role="alert" data-testid={testId ?? 'error'}>
      <p>
        <strong>{title ?? 'Something went wrong'}</strong> <code className="error-code">{code}</code>
      </p>
      <p className="error-message">{message}</p>
      {retry ? (
        <button type="button" className="button" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

const TONE: Record<string, string> = {
  Online: 'good',
  Success: 'good',
  Active: 'good',
  Connected: 'good',
  ConnectionLost: 'bad',
  Failed: 'bad',
  TimedOut: 'bad',
  DeliveryTimedOut: 'bad',
  ExecutionTimedOut: 'bad',
  Undeliverable: 'bad',
  Terminated: 'muted',
  Inactive: 'muted',
  Cancelled: 'muted',
  Disconnected: 'muted',
  Pending: 'info',
  InProgress: 'info',
  Delayed: 'warn',
  Cancelling: 'warn',
  Connecting: 'info',
  Terminating: 'warn',
  // Automation's statuses beyond the ones above.
  Waiting: 'warn',
  PendingApproval: 'warn',
  PendingChangeCalendarOverride: 'warn',
  Approved: 'good',
  ChangeCalendarOverrideApproved: 'good',
  CompletedWithSuccess: 'good',
  Rejected: 'bad',
  ChangeCalendarOverrideRejected: 'bad',
  CompletedWithFailure: 'bad',
  Scheduled: 'info',
  RunbookInProgress: 'info',
  Exited: 'muted',
  // State Manager's, beyond the ones above.
  Associated: 'info',
  Creating: 'info',
  Skipped: 'muted',
  // Maintenance Windows write AWS's upper-case statuses.
  PENDING: 'info',
  IN_PROGRESS: 'info',
  SUCCESS: 'good',
  FAILED: 'bad',
  TIMED_OUT: 'bad',
  CANCELLING: 'warn',
  CANCELLED: 'muted',
  SKIPPED_OVERLAPPING: 'muted',
  Enabled: 'good',
  Disabled: 'muted',
};

/** The colour family of a status: good, bad, warn, info or muted. */
export const toneOf = (status: string | undefined): string => TONE[status ?? ''] ?? 'muted';

export function StatusBadge({ status, testId }: { status: string | undefined; testId?: string }) {
  const s = status ?? 'Unknown';
  return (
    <span className={`badge badge-${toneOf(s)}`} data-testid={testId}>
      {s}
    </span>
  );
}
