import { useId } from 'react';
import { StatusBadge, toneOf } from '../../components/Status';
import { slug } from '../../lib/slug';
import { duration } from './format';
import type { GraphEdge, StepGraph } from './graph';

// One source for the geometry: the nodes' boxes and the arrows drawn between them.
const NODE_W = 300;
const NODE_H = 76;
const GAP = 36;
const LANE_W = 18;
const top = (row: number) => row * (NODE_H + GAP);

/** Spreads the ends of several side edges along one node's side. */
function spread(i: number, n: number, base: number) {
  if (n <= 1) return base;
  const step = Math.min(10, (NODE_H * 0.34) / n);
  return base + (i - (n - 1) / 2) * step;
}

function edgePath(e: GraphEdge, rows: Map<string, number>): string {
  const a = rows.get(e.from)!;
  const b = rows.get(e.to)!;
  if (e.straight) return `M ${NODE_W / 2} ${top(a) + NODE_H} V ${top(b) - 2}`;
  // Out of the lower half of the source's right side, into the upper half of the target's.
  const y0 = top(a) + spread(e.outIndex, e.outCount, NODE_H * 0.68);
  const y1 = top(b) + spread(e.inIndex, e.inCount, NODE_H * 0.32);
  const x = NODE_W + e.lane * LANE_W;
  return `M ${NODE_W} ${y0} H ${x} V ${y1} H ${NODE_W + 3}`;
}

const KIND_TEXT: Record<string, string> = { next: 'then', branch: 'branch', default: 'default', failure: 'on failure', cancel: 'on cancel', ran: 'ran next' };

export const STATUS_LABEL: Record<string, string> = { NotRun: 'Not run' };

/**
 * The steps as a vertical flow: one box a step in the runbook's order, straight arrows to the
 * step below, and the other ways out (branches, jumps, onFailure/onCancel targets) drawn in lanes
 * to the right. The path the execution took is drawn solid and dark; the boxes are buttons that
 * choose the step whose details show beside the graph.
 */
export function StepGraphView({ graph, selected, onSelect }: { graph: StepGraph; selected: string | undefined; onSelect: (name: string) => void }) {
  const id = useId().replace(/:/g, '');
  const rows = new Map(graph.nodes.map((n) => [n.name, n.row]));
  const width = NODE_W + (graph.lanes ? graph.lanes * LANE_W + 12 : 4);
  const height = Math.max(0, graph.nodes.length * (NODE_H + GAP) - GAP);
  // Taken edges last, so they are drawn over the others where lanes cross.
  const edges = [...graph.edges].sort((x, y) => Number(x.taken) - Number(y.taken));

  return (
    <div className="step-graph-scroll">
      <div className="step-graph" style={{ width, height }} data-testid="auto-graph">
        <svg className="step-edges" width={width} height={height} viewBox={`0 0 ${width} ${height}`} aria-hidden="true" focusable="false">
          <defs>
            {['taken', 'open', 'failure'].map((k) => (
              <marker key={k} id={`${id}-arrow-${k}`} viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse">
                <path d="M 0 0 L 10 5 L 0 10 z" className={`arrow arrow-${k}`} />
              </marker>
            ))}
          </defs>
          {edges.map((e) => {
            const style = e.taken ? 'taken' : e.kind === 'failure' || e.kind === 'cancel' ? 'failure' : 'open';
            return (
              <path
                key={`${e.from}->${e.to}`}
                d={edgePath(e, rows)}
                className={`edge edge-${e.kind}${e.taken ? ' edge-taken' : ''}`}
                markerEnd={`url(#${id}-arrow-${style})`}
                data-from={e.from}
                data-to={e.to}
                data-taken={e.taken ? 'true' : undefined}
              >
                <title>{`${e.from} → ${e.to} (${KIND_TEXT[e.kind]}${e.taken ? ', taken' : ''})`}</title>
              </path>
            );
          })}
        </svg>
        <ol className="step-nodes" aria-label="Steps">
          {graph.nodes.map((n) => {
            const ways = n.targets.filter((t) => t.kind === 'branch' || t.kind === 'default');
            return (
              <li key={n.name} style={{ height: NODE_H, marginBottom: GAP, width: NODE_W }}>
                <button
                  type="button"
                  className={`step-node tone-border-${toneOf(n.status)}${n.ran ? ' step-ran' : ''}${n.current ? ' step-current' : ''}`}
                  aria-pressed={selected === n.name}
                  aria-current={n.current ? 'step' : undefined}
                  onClick={() => onSelect(n.name)}
                  data-testid={`auto-step-${slug(n.name)}`}
                  data-step={n.name}
                  data-status={n.status}
                  data-ran={n.ran ? 'true' : 'false'}
                >
                  <span className="step-line">
                    <span className="step-name">{n.name}</span>
                    <StatusBadge status={STATUS_LABEL[n.status] ?? n.status} testId={`auto-step-status-${slug(n.name)}`} />
                  </span>
                  <span className="step-line muted small">
                    <span className="mono">{n.action || 'step'}</span>
                    {n.execution?.ExecutionStartTime ? <span>{duration(n.execution.ExecutionStartTime, n.execution.ExecutionEndTime)}</span> : null}
                    {n.runs > 1 ? <span>{n.runs} runs</span> : null}
                    {n.isEnd ? <span>ends</span> : null}
                  </span>
                  {ways.length > 1 || (n.execution?.ValidNextSteps?.length ?? 0) > 1 ? (
                    <span className="step-line step-targets small" data-testid={`auto-step-targets-${slug(n.name)}`}>
                      →{' '}
                      {n.targets
                        .filter((t) => t.kind !== 'failure' && t.kind !== 'cancel')
                        .map((t, i) => (
                          <span key={t.to} className={t.taken ? 'target-taken' : undefined}>
                            {i > 0 ? ' | ' : ''}
                            {t.to}
                            {t.kind === 'default' ? ' (default)' : ''}
                          </span>
                        ))}
                    </span>
                  ) : null}
                </button>
              </li>
            );
          })}
        </ol>
      </div>
      <p className="graph-legend small muted" aria-hidden="true">
        <span className="legend-taken">━ path taken</span> <span className="legend-open">━ possible</span> <span className="legend-failure">┅ on failure / cancel</span>
      </p>
    </div>
  );
}
