import type { TimelineEvent } from '../../api/incidents';
import { formatTime } from '../../lib/format';

/** What a timeline event says, in a line: a note's text, a runbook step's name and status, … */
function describe(e: TimelineEvent): string {
  let d: unknown;
  try {
    d = JSON.parse(e.eventData ?? '""');
  } catch {
    return e.eventData ?? '';
  }
  if (typeof d === 'string') return d;
  const o = (d ?? {}) as Record<string, unknown>;
  switch (e.eventType) {
    case 'Automation Step':
      return `${String(o.documentName)}: step ${String(o.stepName)} (${String(o.action)}) ${String(o.status)}`;
    case 'Automation Execution':
      return `${String(o.documentName)} ${String(o.status)}`;
    case 'Runbook Started':
      return `${String(o.documentName)} started (${String(o.executionId)})`;
    case 'Impact Changed':
      return `from ${String(o.from)} to ${String(o.to)}`;
    default:
      return typeof o.message === 'string' ? o.message : typeof o.title === 'string' ? o.title : Object.entries(o).filter(([, v]) => typeof v !== 'object').map(([k, v]) => `${k}: ${String(v)}`).join(', ');
  }
}

export function Timeline({ events }: { events: TimelineEvent[] }) {
  return (
    <ol className="im-timeline" data-testid="im-timeline">
      {events.map((e) => (
        <li key={e.eventId} data-testid="im-event" data-event-type={e.eventType}>
          <time className="muted small">{formatTime(e.eventTime)}</time> <strong>{e.eventType === 'Custom Event' ? 'Note' : e.eventType}</strong> <span className="im-event-text">{describe(e)}</span>
        </li>
      ))}
    </ol>
  );
}
