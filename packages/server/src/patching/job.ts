import type { CommandPayload } from '@capstan/wire';
import type { NodePayloadHook } from '../commands/index.js';
import type { Core } from '../protocol/context.js';
import { AwsError } from '../protocol/errors.js';
import type { Baselines } from './baselines.js';
import { parseOverride, resolveForNode } from './resolve.js';

const ACTION = 'aws:runPatchBaseline';

/** The inputs of the document's `aws:runPatchBaseline` steps (2.x mainSteps, 1.2 runtimeConfig). */
function patchSteps(doc: unknown): Record<string, unknown>[] {
  const d = (doc ?? {}) as { mainSteps?: { action?: unknown; inputs?: unknown }[]; runtimeConfig?: Record<string, { properties?: unknown }> };
  if (Array.isArray(d.mainSteps)) return d.mainSteps.filter((s) => s?.action === ACTION).map((s) => (s.inputs ?? {}) as Record<string, unknown>);
  const props = d.runtimeConfig?.[ACTION]?.properties;
  return (Array.isArray(props) ? props : props ? [props] : []) as Record<string, unknown>[];
}

const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');

/** The override and snapshot id the steps give (the same in every step of AWS-RunPatchBaseline). */
function stepSettings(payload: CommandPayload): { override: string; snapshotId: string } {
  const steps = patchSteps(payload.document);
  return { override: steps.map((s) => text(s.BaselineOverride)).find((v) => v !== '') ?? '', snapshotId: steps.map((s) => text(s.SnapshotId)).find((v) => v !== '') ?? '' };
}

/**
 * Puts each node's baseline snapshot in its job when the document patches. A BaselineOverride that
 * is not a valid baseline refuses the command before anything is sent (InvalidParameters). A node
 * whose operating system Capstan does not patch gets its job without a snapshot, and the agent's
 * step fails saying so.
 */
export function patchJobHook(core: Core, baselines: Baselines): NodePayloadHook {
  return {
    applies: (payload) => patchSteps(payload.document).length > 0,
    check(payload) {
      const { override } = stepSettings(payload);
      if (!override) return;
      try {
        parseOverride(override);
      } catch (e) {
        if (e instanceof AwsError) throw new AwsError('InvalidParameters', `BaselineOverride: ${e.message}`, { messageMember: 'Message' });
        throw e;
      }
    },
    async forNode(db, payload, account, region, instanceId) {
      const { override, snapshotId } = stepSettings(payload);
      const r = await resolveForNode(core, baselines, db, account, region, instanceId, { ...(override ? { override: parseOverride(override) } : {}), snapshotId });
      return r.ok ? { patchBaseline: r.snapshot } : {};
    },
  };
}
