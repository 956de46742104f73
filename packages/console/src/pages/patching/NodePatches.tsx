import { useState } from 'react';
import { instancePatches, instancePatchState, isPredefined } from '../../api/patching';
import { Empty, ErrorBox, Loading } from '../../components/Status';
import { ago, formatCount, formatTime, plural, toDate } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, withQuery } from '../../router/router';
import { baselinePath } from './paths';
import { PatchNow } from './PatchNow';

/** DescribeInstancePatches' State values, as the filter takes them. */
const STATES: { value: string; label: string; states: string[] }[] = [
  { value: 'missing-failed', label: 'Missing or failed', states: ['Missing', 'Failed'] },
  { value: 'Missing', label: 'Missing', states: ['Missing'] },
  { value: 'Failed', label: 'Failed', states: ['Failed'] },
  { value: 'InstalledPendingReboot', label: 'Installed, pending reboot', states: ['InstalledPendingReboot'] },
  { value: 'Installed', label: 'Installed', states: ['Installed'] },
  { value: 'InstalledOther', label: 'Installed, not in the baseline', states: ['InstalledOther'] },
  { value: 'InstalledRejected', label: 'Installed, rejected', states: ['InstalledRejected'] },
  { value: 'NotApplicable', label: 'Not applicable', states: ['NotApplicable'] },
  { value: 'AvailableSecurityUpdate', label: 'Security update not approved', states: ['AvailableSecurityUpdate'] },
  { value: 'all', label: 'All', states: [] },
];

const STATE_TONE: Record<string, string> = { MISSING: 'bad', FAILED: 'bad', INSTALLED_PENDING_REBOOT: 'warn', INSTALLED: 'good', INSTALLED_OTHER: 'muted', INSTALLED_REJECTED: 'warn', NOT_APPLICABLE: 'muted', AVAILABLE_SECURITY_UPDATE: 'warn' };

/**
 * A node's patch state (its last scan or install) and its patches, the missing and failed ones
 * first, with Patch now for the node. `elsewhere` leaves out what runs in the header's region.
 */
export function NodePatches({ id, region, elsewhere }: { id: string; region: string | undefined; elsewhere?: boolean }) {
  const state = useAsync((signal) => instancePatchState(id, { signal, region }), [id, region]);
  const [which, setWhich] = useState('missing-failed');
  const filter = STATES.find((s) => s.value === which) ?? STATES[0]!;
  const patches = useAsync((signal) => instancePatches(id, filter.states, { signal, region, limit: 1000 }), [id, region, which]);

  if (state.loading) return <Loading />;
  if (state.error !== undefined) return <ErrorBox error={state.error} retry={state.reload} />;
  const s = state.data;
  if (!s) {
    return (
      <Empty>
        This node has not been scanned for patches. Run <code>AWS-RunPatchBaseline</code> with <code>Operation=Scan</code>{' '}
        {elsewhere ? null : (
          <>
            (<Link to={withQuery('/run-command', { instanceIds: id, document: 'AWS-RunPatchBaseline' })}>Run Command</Link>)
          </>
        )}
        .
      </Empty>
    );
  }
  const missing = (s.MissingCount ?? 0) + (s.FailedCount ?? 0);
  return (
    <div data-testid="node-patches">
      <dl className="facts pb-node-state" data-testid="node-patch-state">
        <dt>Last operation</dt>
        <dd>
          <span data-testid="node-patch-operation">{s.Operation ?? '—'}</span> <span title={formatTime(s.OperationEndTime)}>{ago(s.OperationEndTime)}</span>
        </dd>
        <dt>Baseline</dt>
        <dd className="break">{s.BaselineId ? <Link to={baselinePath(s.BaselineId)}>{isPredefined(s.BaselineId) ? s.BaselineId.split('/').pop() : s.BaselineId}</Link> : '—'}</dd>
        <dt>Patch group</dt>
        <dd>{s.PatchGroup || <span className="muted">none (the default baseline)</span>}</dd>
        <dt>Reboot option</dt>
        <dd>{s.RebootOption ?? '—'}</dd>
      </dl>
      <ul className="pb-counts" aria-label="Patches by state">
        <Count label="Missing" n={s.MissingCount} tone="bad" testId="node-patch-missing" />
        <Count label="Failed" n={s.FailedCount} tone="bad" testId="node-patch-failed" />
        <Count label="Installed" n={s.InstalledCount} tone="good" testId="node-patch-installed" />
        <Count label="Pending reboot" n={s.InstalledPendingRebootCount} tone="warn" testId="node-patch-pending-reboot" />
        <Count label="Installed other" n={s.InstalledOtherCount} tone="muted" testId="node-patch-installed-other" />
        <Count label="Installed rejected" n={s.InstalledRejectedCount} tone="warn" testId="node-patch-installed-rejected" />
        <Count label="Not applicable" n={s.NotApplicableCount} tone="muted" testId="node-patch-not-applicable" />
        <Count label="Critical non-compliant" n={s.CriticalNonCompliantCount} tone="bad" testId="node-patch-critical" />
        <Count label="Security non-compliant" n={s.SecurityNonCompliantCount} tone="bad" testId="node-patch-security" />
      </ul>
      {!elsewhere && missing > 0 ? <PatchNow instanceIds={[id]} testId="node-patch-now" /> : null}
      <div className="filters">
        <label htmlFor="node-patch-state-filter">Show patches</label>
        <select id="node-patch-state-filter" value={which} onChange={(e) => setWhich(e.target.value)} data-testid="node-patch-filter">
          {STATES.map((x) => (
            <option key={x.value} value={x.value}>
              {x.label}
            </option>
          ))}
        </select>
      </div>
      {patches.loading ? <Loading /> : null}
      {patches.error !== undefined ? <ErrorBox error={patches.error} retry={patches.reload} /> : null}
      {patches.data && !patches.loading ? (
        patches.data.length === 0 ? (
          <Empty>No {filter.value === 'all' ? '' : `${filter.label.toLowerCase()} `}patches.</Empty>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="node-patch-table">
              <caption className="visually-hidden">{plural(patches.data.length, 'patch', 'patches')}</caption>
              <thead>
                <tr>
                  <th scope="col">Patch</th>
                  <th scope="col">State</th>
                  <th scope="col">Classification</th>
                  <th scope="col">Severity</th>
                  <th scope="col">Installed</th>
                </tr>
              </thead>
              <tbody>
                {patches.data.map((p) => (
                  <tr key={`${p.Title} ${p.KBId}`} data-testid="node-patch-row" data-kb={p.KBId} data-state={p.State}>
                    <td className="mono break" title={p.Title}>
                      {p.KBId}
                      <span className="muted small"> {p.Title}</span>
                    </td>
                    <td>
                      <span className={`badge badge-${STATE_TONE[p.State] ?? 'muted'}`}>{p.State}</span>
                    </td>
                    <td>{p.Classification || '—'}</td>
                    <td>{p.Severity || '—'}</td>
                    <td>{(toDate(p.InstalledTime)?.getTime() ?? 0) > 0 ? formatTime(p.InstalledTime) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
      {elsewhere ? null : (
        <p className="muted small">
          <Link to={withQuery('/compliance', { type: 'Patch', node: id })}>Patch compliance of this node</Link>
        </p>
      )}
    </div>
  );
}

function Count({ label, n, tone, testId }: { label: string; n: number | undefined; tone: string; testId: string }) {
  return (
    <li className={`pb-count tone-border-${(n ?? 0) > 0 ? tone : 'muted'}`}>
      <span className="pb-count-n" data-testid={testId}>
        {formatCount(n ?? 0)}
      </span>
      <span className="pb-count-label">{label}</span>
    </li>
  );
}
