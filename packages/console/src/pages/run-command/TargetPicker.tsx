import { useId, useMemo, useState } from 'react';
import { StatusBadge } from '../../components/Status';
import { formatCount } from '../../lib/format';
import { filterNodes, osLabel, useFleet } from '../nodes/fleet';
import type { TagTarget, TargetMode } from './targets';

export type { TagTarget, TargetMode } from './targets';

/** SendCommand's limits: 50 instance ids, 5 targets. */
export const MAX_IDS = 50;
export const MAX_TARGETS = 5;
const SHOWN = 100;

export function TargetPicker({
  mode,
  onMode,
  ids,
  onIds,
  tags,
  onTags,
  error,
  testIdPrefix = 'run-',
  modes = ['ids', 'tags', 'all'],
}: {
  mode: TargetMode;
  onMode: (m: TargetMode) => void;
  ids: string[];
  onIds: (ids: string[]) => void;
  tags: TagTarget[];
  onTags: (t: TagTarget[]) => void;
  error: string | undefined;
  /** Each form's controls have their own stable test ids (`run-target-…`, `assoc-target-…`). */
  testIdPrefix?: string;
  /** The ways offered: a maintenance window's targets cannot be "all nodes". */
  modes?: TargetMode[];
}) {
  // Two pickers may share a page (a window's targets and its task's): their radios and labels must not.
  const uid = useId();
  const label: Record<TargetMode, string> = { ids: 'Choose nodes', tags: 'By tag', all: 'All managed nodes' };
  return (
    <fieldset className={`targets${error ? ' field-invalid' : ''}`} data-testid={`${testIdPrefix}targets`}>
      <legend className="visually-hidden">Targets</legend>
      <div className="segmented" role="radiogroup" aria-label="Choose targets by">
        {modes.map((m) => (
          <label key={m}>
            <input type="radio" name={`${uid}-target-mode`} checked={mode === m} onChange={() => onMode(m)} data-testid={`${testIdPrefix}target-mode-${m}`} />
            {label[m]}
          </label>
        ))}
      </div>
      {mode === 'ids' ? <NodeChooser ids={ids} onIds={onIds} testIdPrefix={testIdPrefix} /> : null}
      {mode === 'tags' ? <TagRows tags={tags} onTags={onTags} testIdPrefix={testIdPrefix} /> : null}
      {mode === 'all' ? <p className="hint">Every managed node of this account and region, as the rate controls below allow.</p> : null}
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

function NodeChooser({ ids, onIds, testIdPrefix }: { ids: string[]; onIds: (ids: string[]) => void; testIdPrefix: string }) {
  const fleet = useFleet({});
  const uid = useId();
  const [search, setSearch] = useState('');
  const matches = useMemo(() => filterNodes(fleet.nodes, { search }, undefined), [fleet.nodes, search]);
  const chosen = new Set(ids);
  const toggle = (id: string, on: boolean) => onIds(on ? (chosen.has(id) || ids.length >= MAX_IDS ? ids : [...ids, id]) : ids.filter((x) => x !== id));

  return (
    <div className="node-chooser">
      {ids.length ? (
        <ul className="chips" aria-label="Chosen nodes" data-testid={`${testIdPrefix}target-chosen`}>
          {ids.map((id) => (
            <li key={id}>
              <span className="mono">{id}</span>
              <button type="button" className="chip-remove" aria-label={`Remove ${id}`} onClick={() => toggle(id, false)}>
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <div className="field">
        <label htmlFor={`${uid}-node-search`}>Find nodes</label>
        <input id={`${uid}-node-search`} type="search" placeholder="id, name or IP" value={search} onChange={(e) => setSearch(e.target.value)} data-testid={`${testIdPrefix}target-search`} />
        <p className="hint">
          {ids.length} of at most {MAX_IDS} chosen. {fleet.done ? `${formatCount(matches.length)} match.` : 'Loading nodes…'} To reach more nodes, target them by tag.
        </p>
      </div>
      <ul className="choice-list" data-testid={`${testIdPrefix}target-ids`} aria-label="Nodes">
        {matches.slice(0, SHOWN).map((n) => (
          <li key={n.InstanceId}>
            <label className="check">
              <input
                type="checkbox"
                checked={chosen.has(n.InstanceId)}
                disabled={!chosen.has(n.InstanceId) && ids.length >= MAX_IDS}
                onChange={(e) => toggle(n.InstanceId, e.target.checked)}
                data-testid={`${testIdPrefix}target-node-${n.InstanceId}`}
              />
              <span className="mono">{n.InstanceId}</span> <span>{n.Name || n.ComputerName}</span> <StatusBadge status={n.PingStatus} /> <span className="muted">{osLabel(n)}</span>
            </label>
          </li>
        ))}
      </ul>
      {matches.length > SHOWN ? <p className="hint">Showing the first {SHOWN}; narrow the search to find others.</p> : null}
    </div>
  );
}

function TagRows({ tags, onTags, testIdPrefix }: { tags: TagTarget[]; onTags: (t: TagTarget[]) => void; testIdPrefix: string }) {
  const uid = useId();
  const set = (i: number, patch: Partial<TagTarget>) => onTags(tags.map((t, j) => (j === i ? { ...t, ...patch } : t)));
  return (
    <div className="tag-rows">
      <p className="hint">A node must match every row; the values of one row are alternatives (comma-separated). Leave the values empty to match any value of the key.</p>
      {tags.map((t, i) => (
        <div className="tag-row" key={i}>
          <div className="field">
            <label htmlFor={`${uid}-tag-key-${i}`}>Tag key</label>
            <input id={`${uid}-tag-key-${i}`} value={t.key} onChange={(e) => set(i, { key: e.target.value })} data-testid={`${testIdPrefix}target-tag-key${i === 0 ? '' : `-${i}`}`} />
          </div>
          <div className="field">
            <label htmlFor={`${uid}-tag-values-${i}`}>Values</label>
            <input id={`${uid}-tag-values-${i}`} value={t.values} placeholder="web, api" onChange={(e) => set(i, { values: e.target.value })} data-testid={`${testIdPrefix}target-tag-values${i === 0 ? '' : `-${i}`}`} />
          </div>
          {tags.length > 1 ? (
            <button type="button" className="button button-quiet" onClick={() => onTags(tags.filter((_, j) => j !== i))} aria-label={`Remove tag row ${i + 1}`}>
              Remove
            </button>
          ) : null}
        </div>
      ))}
      {tags.length < MAX_TARGETS ? (
        <button type="button" className="button" onClick={() => onTags([...tags, { key: '', values: '' }])}>
          Add a tag
        </button>
      ) : null}
    </div>
  );
}
