import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { InventoryItem } from '@capstan/wire';
import type { Plugin } from '../types.js';
import { installedPackageRows } from './package/index.js';
import { collectApplications, collectCustom, collectFiles, collectInstanceDetails, collectNetwork, collectServices, item, parseFileFilters } from './inventory/collectors.js';

/** Each input is `Enabled` unless it says `Disabled` (AWS's defaults are Enabled). */
const enabled = (inputs: Record<string, unknown>, name: string) => String(inputs[name] ?? 'Enabled').toLowerCase() !== 'disabled';

/** Last sent content hash per type, so a quiet node sends nothing. */
export class InventoryHashes {
  constructor(private readonly file: string) {}
  async load(): Promise<Record<string, string>> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  }
  /**
   * Synchronous on purpose: called right after the report is queued, before the event loop can
   * deliver the server's acknowledgement, whose `inventoryResend` deletes this file.
   */
  saveSync(h: Record<string, string>): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    writeFileSync(`${this.file}.tmp`, JSON.stringify(h), { mode: 0o600 });
    renameSync(`${this.file}.tmp`, this.file);
  }
}

/** The types whose hash differs from the last one sent, and the hashes to keep once they are queued. */
export function changedItems(items: InventoryItem[], last: Record<string, string>): { send: InventoryItem[]; hashes: Record<string, string> } {
  const hashes = { ...last };
  const send: InventoryItem[] = [];
  for (const i of items) {
    if (last[i.TypeName] === i.ContentHash) continue;
    send.push(i);
    hashes[i.TypeName] = i.ContentHash;
  }
  return { send, hashes };
}

/**
 * aws:softwareInventory (AWS-GatherSoftwareInventory): collects the enabled types, then queues
 * for the server only those whose content changed since the last report. Windows-only types
 * (updates, roles, registry) are left out on other platforms.
 */
export const softwareInventory: Plugin = async (ctx) => {
  const inputs = ctx.step.inputs;
  const now = Date.now();
  const items: InventoryItem[] = [];
  const problems: string[] = [];
  const collect = async (input: string, type: string, f: () => Promise<Record<string, string>[] | undefined> | Record<string, string>[]) => {
    if (!enabled(inputs, input)) return;
    try {
      const content = await f();
      if (content) items.push(item(type, content, now));
      else ctx.sink.note('stdout', `${type}: not available on this node, not collected`);
    } catch (e) {
      problems.push(`${type}: ${(e as Error).message}`);
    }
  };
  const stateDir = ctx.run.stateDir ?? ctx.run.env.CAPSTAN_AGENT_STATE_DIR;
  // Distributor packages are applications too, told apart by their ApplicationType.
  await collect('applications', 'AWS:Application', async () => [...(await collectApplications()), ...(stateDir ? installedPackageRows(stateDir) : [])]);
  await collect('networkConfig', 'AWS:Network', () => collectNetwork());
  await collect('instanceDetailedInformation', 'AWS:InstanceDetailedInformation', () => collectInstanceDetails());
  if (ctx.run.platformType === 'Linux') await collect('services', 'AWS:Service', () => collectServices());
  const files = typeof inputs.files === 'string' ? inputs.files : inputs.files ? JSON.stringify(inputs.files) : '';
  if (files.trim()) await collect('files', 'AWS:File', async () => collectFiles(parseFileFilters(files)));
  if (enabled(inputs, 'customInventory') && stateDir) {
    const custom = await collectCustom(join(stateDir, 'inventory', 'custom'), now);
    items.push(...custom.items);
    problems.push(...custom.errors.map((e) => `custom inventory ${e}`));
  }

  const store = stateDir ? new InventoryHashes(join(stateDir, 'inventory', 'hashes.json')) : undefined;
  const { send, hashes } = changedItems(items, (await store?.load()) ?? {});
  if (send.length && ctx.run.reportInventory) {
    // Queued (durably, in the outbox) first, then the hashes move on: a crash between the two
    // sends a type twice, never loses one.
    ctx.run.reportInventory(send);
    store?.saveSync(hashes);
  }
  const sent = new Set(ctx.run.reportInventory ? send.map((i) => i.TypeName) : []);
  for (const i of items) ctx.sink.note('stdout', `${i.TypeName}: ${i.Content.length} collected, ${sent.has(i.TypeName) ? 'sent' : ctx.run.reportInventory ? 'unchanged, not sent' : 'not sent (no report channel)'}`);
  ctx.sink.note('stdout', `${items.length} types collected, ${sent.size} sent`);
  for (const p of problems) ctx.sink.note('stderr', p);
  if (problems.length && items.length === 0) return { status: 'Failed', code: 1, details: problems.join('; ').slice(0, 2500) };
  return { status: 'Success', code: 0 };
};
