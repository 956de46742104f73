import { nodeService, resolveTargets, type Target } from '../nodes/index.js';
import type { Core } from '../protocol/context.js';
import { validation } from './errors.js';
import { tables } from './store.js';
import type { TaskRow, WindowRow } from './tables.js';

export interface TargetPlacement {
  resourceId: string;
  windowTargetId: string;
  ownerInformation: string;
}

/** Nodes a list of targets names now; a plain InstanceIds list keeps ids no node has, so their invocation fails visibly rather than vanishing. */
export async function nodesOf(core: Core, account: string, region: string, targets: Target[]): Promise<string[]> {
  const found = (await resolveTargets(nodeService(core), account, region, targets)).map((n) => n.instance_id);
  const only = targets.length === 1 && targets[0]!.Key === 'InstanceIds' ? targets[0]!.Values.filter((v) => v !== '*') : [];
  return [...found, ...only.filter((id) => !found.includes(id))];
}

/**
 * Where a task runs when its turn comes: the nodes of the window targets it names (each keeps
 * its window target id and owner information), or the nodes its own targets name when the
 * window allows unregistered targets. A node named twice runs once. A task without targets
 * runs once, for no node.
 */
export async function resolveTaskTargets(core: Core, w: WindowRow, task: TaskRow): Promise<TargetPlacement[]> {
  const targets = JSON.parse(task.targets) as Target[];
  if (!targets.length) return [{ resourceId: '', windowTargetId: '', ownerInformation: '' }];
  const out: TargetPlacement[] = [];
  const seen = new Set<string>();
  const add = (resourceId: string, windowTargetId: string, ownerInformation: string) => {
    if (seen.has(resourceId)) return;
    seen.add(resourceId);
    out.push({ resourceId, windowTargetId, ownerInformation });
  };
  if (targets[0]!.Key === 'WindowTargetIds') {
    const db = tables(core.database.db);
    for (const id of targets[0]!.Values) {
      const wt = await db.selectFrom('maintenance_window_targets').selectAll().where('window_id', '=', w.window_id).where('window_target_id', '=', id).executeTakeFirst();
      // Deregistered since the task named it: nothing of it runs.
      if (!wt) continue;
      for (const node of await nodesOf(core, w.account_id, w.region, JSON.parse(wt.targets) as Target[])) add(node, wt.window_target_id, wt.owner_information);
    }
    return out;
  }
  if (!w.allow_unassociated_targets) throw validation(`The task names nodes that are not registered with the window, and AllowUnassociatedTargets is now false.`);
  for (const node of await nodesOf(core, w.account_id, w.region, targets)) add(node, '', '');
  return out;
}
