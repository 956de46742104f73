import type { CommandPayload } from '@capstan/wire';
import type { NodePayloadHook } from '../commands/index.js';
import type { Core } from '../protocol/context.js';
import { AwsError } from '../protocol/errors.js';
import type { Baselines } from './baselines.js';
import { getObject, type S3Config } from '../objects/s3.js';
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
export function patchJobHook(core: Core, baselines: Baselines, s3?: S3Config): NodePayloadHook {
  return {
    applies: (payload) => patchSteps(payload.document).length > 0,
    async prepare(payload) {
      const { override } = stepSettings(payload);
      if (!override) return;
      const location = overrideLocation(override, s3);
      // A baseline kept in a bucket is read once, at SendCommand, and travels inline from then on:
      // every node of the command patches against the same baseline even if the object changes.
      const inline = location ? await readOverride(location, s3!) : override;
      try {
        parseOverride(inline);
      } catch (e) {
        if (e instanceof AwsError) throw invalidParameters(`BaselineOverride${location ? ` ${override}` : ''}: ${e.message}`);
        throw e;
      }
      return location ? withOverride(payload, inline) : undefined;
    },
    async forNode(db, payload, account, region, instanceId) {
      const { override, snapshotId } = stepSettings(payload);
      const r = await resolveForNode(core, baselines, db, account, region, instanceId, { ...(override ? { override: parseOverride(override) } : {}), snapshotId });
      return r.ok ? { patchBaseline: r.snapshot } : {};
    },
  };
}

const invalidParameters = (message: string) => new AwsError('InvalidParameters', message, { messageMember: 'Message' });

/** The largest baseline object Capstan reads: far more than any baseline CreatePatchBaseline allows. */
const OVERRIDE_BYTES = 1024 * 1024;

/**
 * Where a BaselineOverride that is not inline JSON is kept: `s3://BUCKET/KEY`, or the same object
 * by its path-style URL on the S3-compatible store the server is configured with. Only that store
 * is read, so an override cannot make the server fetch an arbitrary URL.
 */
function overrideLocation(override: string, s3: S3Config | undefined): { bucket: string; key: string } | undefined {
  if (/^\s*[[{]/.test(override)) return undefined;
  const endpoint = s3?.endpoint.replace(/\/+$/, '');
  let path: string | undefined;
  if (/^s3:\/\//i.test(override)) path = override.slice(5);
  else if (endpoint && override.startsWith(`${endpoint}/`)) path = override.slice(endpoint.length + 1).split(/[?#]/)[0]!;
  const slash = path?.indexOf('/') ?? -1;
  if (path === undefined || slash <= 0 || slash === path.length - 1) {
    throw invalidParameters(`BaselineOverride ${override}: give the baseline inline as JSON, or the location of a JSON file as s3://BUCKET/KEY${endpoint ? ` or ${endpoint}/BUCKET/KEY` : ''}.`);
  }
  if (!s3) throw invalidParameters(`BaselineOverride ${override} cannot be read: this server has no S3-compatible endpoint configured (CAPSTAN_S3_ENDPOINT and its credentials). Give the baseline inline as JSON instead.`);
  return { bucket: path.slice(0, slash), key: decodeURIComponent(path.slice(slash + 1)) };
}

async function readOverride(where: { bucket: string; key: string }, s3: S3Config): Promise<string> {
  const name = `s3://${where.bucket}/${where.key}`;
  let body: Buffer | undefined;
  try {
    body = await getObject(s3, where.bucket, where.key);
  } catch (e) {
    throw invalidParameters(`BaselineOverride ${name} cannot be read: ${(e as Error).message}`);
  }
  if (!body) throw invalidParameters(`BaselineOverride ${name} does not exist.`);
  if (body.length > OVERRIDE_BYTES) throw invalidParameters(`BaselineOverride ${name} is ${body.length} bytes; a baseline file may be at most ${OVERRIDE_BYTES}.`);
  return body.toString('utf8');
}

/** The payload with every patch step's BaselineOverride replaced by the baseline read for it. */
function withOverride(payload: CommandPayload, inline: string): CommandPayload {
  const doc = structuredClone(payload.document) as Parameters<typeof patchSteps>[0];
  for (const step of patchSteps(doc)) if (text(step.BaselineOverride) !== '') step.BaselineOverride = inline;
  return { ...payload, document: doc as CommandPayload['document'] };
}
