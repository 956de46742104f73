import { createHash, randomBytes } from 'node:crypto';
import { AGENT_PACKAGE, type CommandPayload, type PackageBundle } from '@capstan/wire';
import type { NodePayloadHook } from '../commands/index.js';
import { parse as parseYaml } from 'yaml';
import { packageVersionIn } from '../documents/index.js';
import type { Core } from '../protocol/context.js';
import type { AnyDb } from '../store/database.js';
import { tablesOf } from './tables.js';

export const ACTION = 'aws:configurePackage';
export const DOWNLOAD_PATH = '/capstan/distributor/v1/files';
/** Past the job's delivery deadline, long enough for the longest step to reach its download. */
const LINK_GRACE_MS = 6 * 3600_000;

export const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

const UPDATE_AGENT = 'aws:updateSsmAgent';

/** The inputs of the document's steps of one plugin (2.x mainSteps, 1.2 runtimeConfig). */
function stepsOf(doc: unknown, action: string): Record<string, unknown>[] {
  const d = (doc ?? {}) as { mainSteps?: { action?: unknown; inputs?: unknown }[]; runtimeConfig?: Record<string, { properties?: unknown }> };
  if (Array.isArray(d.mainSteps)) return d.mainSteps.filter((s) => s?.action === action).map((s) => (s.inputs ?? {}) as Record<string, unknown>);
  const props = d.runtimeConfig?.[action]?.properties;
  return (Array.isArray(props) ? props : props ? [props] : []) as Record<string, unknown>[];
}

/** The packages a document installs: its `aws:configurePackage` steps, and the agent release an `aws:updateSsmAgent` step asks for. */
function packageSteps(doc: unknown): Record<string, unknown>[] {
  return [...stepsOf(doc, ACTION), ...stepsOf(doc, UPDATE_AGENT).map((s) => ({ name: AGENT_PACKAGE, version: s.targetVersion }))];
}

const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');

/**
 * Puts each package an `aws:configurePackage` step names into the node's job: the manifest of
 * the version asked for (the default version when none is), and for each of its files a link
 * that only this node's job carries. A package that can't be resolved travels as its error, so
 * the node's step fails saying why (an Uninstall still works from the node's own copy).
 */
export function packageJobHook(core: Core, publicUrl: () => string): NodePayloadHook {
  return {
    applies: (payload) => packageSteps(payload.document).length > 0,
    prepare: () => undefined,
    async forNode(db, payload, account, region, instanceId) {
      const packages: Record<string, PackageBundle> = {};
      for (const step of packageSteps(payload.document)) {
        const name = text(step.name);
        if (!name || packages[name]) continue;
        packages[name] = await bundleFor(core, db, payload, { account, region, instanceId }, name, text(step.version), publicUrl);
      }
      return { packages };
    },
  };
}

async function bundleFor(core: Core, db: AnyDb, payload: CommandPayload, node: { account: string; region: string; instanceId: string }, name: string, version: string, publicUrl: () => string): Promise<PackageBundle> {
  const doc = await packageVersionIn(db, node.account, node.region, name, version || undefined);
  if (!doc) return { name, error: version ? `package ${name} has no version ${version} this account can use` : `package ${name} does not exist or is not shared with this account` };
  if (doc.documentType !== 'Package') return { name, error: `${name} is a ${doc.documentType} document, not a package` };
  const expiresAt = Math.max(payload.expiresAt, core.clock.now()) + LINK_GRACE_MS;
  const files: Record<string, { sha256: string; size: number; url: string }> = {};
  for (const f of doc.files) {
    if (!f.Hash) continue;
    const token = randomBytes(32).toString('base64url');
    await tablesOf(db).insertInto('package_downloads').values({ token_hash: hashOf(token), account_id: node.account, region: node.region, instance_id: node.instanceId, sha256: f.Hash, expires_at: expiresAt }).execute();
    files[f.Name] = { sha256: f.Hash, size: f.Size ?? 0, url: `${publicUrl()}${DOWNLOAD_PATH}/${token}` };
  }
  const manifest: unknown = doc.format === 'YAML' ? parseYaml(doc.content) : JSON.parse(doc.content);
  return { name, version: doc.versionName, hash: doc.hash, manifest, files };
}
