import { opsTone } from './types';

/** An OpsItem's status, coloured for OpsCenter's own statuses (Open needs attention, Resolved is done). */
export function OpsStatus({ status, testId }: { status: string | undefined; testId?: string }) {
  return (
    <span className={`badge badge-${opsTone(status)}`} data-testid={testId}>
      {status ?? 'Unknown'}
    </span>
  );
}
