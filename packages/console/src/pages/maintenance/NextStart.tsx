import type { MaintenanceWindow } from '../../api/types';
import { browserZone, dayLabel, startText } from './calendar';
import { inHowLong, nextStartInstant } from './windows';

/** A window's next start: when (relative), then in its zone and in the viewer's. */
export function NextStart({ w }: { w: Pick<MaintenanceWindow, 'NextExecutionTime' | 'ScheduleTimezone' | 'Duration' | 'Enabled'> }) {
  const at = nextStartInstant(w);
  if (at === undefined) return <span className="muted">{w.Enabled === false ? 'disabled' : 'none scheduled'}</span>;
  const zone = w.ScheduleTimezone || 'UTC';
  const viewer = browserZone();
  const text = startText({ at, duration: w.Duration ?? 1, timeZone: zone }, viewer);
  return (
    <span title={w.NextExecutionTime}>
      <strong>{inHowLong(at, Date.now())}</strong>
      <span className="small">
        {' '}
        {dayLabel(at, zone)} <span className="mono">{text.window}</span>
      </span>
      {text.viewer ? (
        <span className="muted small">
          {' '}
          · {dayLabel(at, viewer)} <span className="mono">{text.viewer}</span>
        </span>
      ) : null}
    </span>
  );
}
