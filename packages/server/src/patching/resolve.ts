import { randomUUID } from 'node:crypto';
import type { PatchBaselineSnapshot } from '@capstan/wire';
import type { Core } from '../protocol/context.js';
import type { AnyDb } from '../store/database.js';
import { nodeService, type InstanceRow } from '../nodes/index.js';
import { baselineOverrideSchema, checkBody, patchOs, validation, withDefaults, type Baseline } from './baseline.js';
import type { Baselines } from './baselines.js';
import { nodeOs } from './os.js';

/** AWS reads `Patch Group` first and `PatchGroup` (the form EC2 instance metadata allows) after it. */
export function patchGroupOf(tags: Record<string, string>): string | undefined {
  return tags['Patch Group'] ?? tags.PatchGroup;
}

export type NodeBaseline = { ok: true; snapshot: PatchBaselineSnapshot; product: string } | { ok: false; reason: string };

/**
 * A BaselineOverride as AWS-RunPatchBaseline and GetDeployablePatchSnapshotForInstance take it:
 * one baseline object, or a list of them (one per operating system), checked like
 * CreatePatchBaseline. Returns the baselines by operating system.
 */
export function parseOverride(text: unknown): Map<string, Baseline> {
  let value = text;
  if (typeof text === 'string') {
    try {
      value = JSON.parse(text) as unknown;
    } catch {
      throw validation('BaselineOverride is not valid JSON: give a baseline object (as CreatePatchBaseline takes it) or a list of them.');
    }
  }
  const out = new Map<string, Baseline>();
  for (const [k, item] of (Array.isArray(value) ? value : [value]).entries()) {
    const parsed = baselineOverrideSchema.safeParse(item);
    if (!parsed.success) throw validation(`BaselineOverride ${k + 1}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ')}`);
    const os = patchOs(parsed.data.OperatingSystem);
    const body = withDefaults(parsed.data);
    checkBody(os, body);
    if (out.has(os)) throw validation(`BaselineOverride gives two baselines for ${os}.`);
    out.set(os, { BaselineId: 'BaselineOverride', Name: 'BaselineOverride', OperatingSystem: os, owner: 'Self', ...body, createdAt: 0, modifiedAt: 0 });
  }
  return out;
}

/**
 * The baseline a node patches against, as a snapshot: the override's for its system when there is
 * one, else its patch group's, else its system's default. A node whose system Capstan does not
 * patch gets the reason instead.
 */
export async function resolveForNode(core: Core, baselines: Baselines, db: AnyDb, account: string, region: string, instanceId: string, opts: { override?: Map<string, Baseline>; snapshotId?: string } = {}): Promise<NodeBaseline> {
  const node = await nodeService(core).instance(account, region, instanceId, db);
  if (!node) return { ok: false, reason: `Node ${instanceId} is not a registered managed node.` };
  return snapshotFor(core, baselines, db, node, opts);
}

export async function snapshotFor(core: Core, baselines: Baselines, db: AnyDb, node: InstanceRow, opts: { override?: Map<string, Baseline>; snapshotId?: string }): Promise<NodeBaseline> {
  const sys = nodeOs(node.platform_name, node.platform_version);
  if (!sys) return { ok: false, reason: `Patch Manager has no baseline for ${node.platform_name || node.platform_type} ${node.platform_version} (node ${node.instance_id}): Capstan patches Debian, Ubuntu and the Red Hat family.` };
  const group = patchGroupOf(JSON.parse(node.tags || '{}') as Record<string, string>);
  const b = opts.override?.get(sys.os) ?? (await baselines.get(node.account_id, node.region, await baselines.forGroup(node.account_id, node.region, group, sys.os, db), db));
  const snapshot: PatchBaselineSnapshot = {
    SnapshotId: opts.snapshotId || randomUUID(),
    InstanceId: node.instance_id,
    BaselineId: b.BaselineId,
    Name: b.Name,
    OperatingSystem: sys.os,
    ...(group !== undefined ? { PatchGroup: group } : {}),
    GlobalFilters: b.GlobalFilters,
    ApprovalRules: b.ApprovalRules,
    ApprovedPatches: b.ApprovedPatches,
    ApprovedPatchesComplianceLevel: b.ApprovedPatchesComplianceLevel,
    ApprovedPatchesEnableNonSecurity: b.ApprovedPatchesEnableNonSecurity,
    RejectedPatches: b.RejectedPatches,
    RejectedPatchesAction: b.RejectedPatchesAction,
    ...(b.AvailableSecurityUpdatesComplianceStatus ? { AvailableSecurityUpdatesComplianceStatus: b.AvailableSecurityUpdatesComplianceStatus } : {}),
    Sources: b.Sources,
    CreatedAt: core.clock.now(),
  };
  return { ok: true, snapshot, product: sys.product };
}
