import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AnyDb } from '../store/database.js';
import type { MaintenanceTables } from './tables.js';

export type MaintenanceDb = Kysely<MaintenanceTables>;
export const tables = (db: AnyDb): MaintenanceDb => db.withTables<MaintenanceTables>();

/** What a ClientToken is compared on: the request as given, minus the token itself, keys sorted. */
export function requestHash(input: Record<string, unknown>): string {
  const { ClientToken: _token, ...rest } = input;
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object' && !(v instanceof Uint8Array)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
    if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
    return v;
  };
  return createHash('sha256').update(JSON.stringify(canonical(rest))).digest('base64url');
}

export const windowArn = (region: string, account: string, id: string) => `arn:aws:ssm:${region}:${account}:maintenancewindow/${id}`;

/** Everything of a window, its history included. */
export async function removeWindow(db: MaintenanceDb, windowId: string): Promise<void> {
  const executions = db.selectFrom('maintenance_window_executions').select('window_execution_id').where('window_id', '=', windowId);
  await db.deleteFrom('maintenance_window_invocations').where('window_execution_id', 'in', executions).execute();
  await db.deleteFrom('maintenance_window_task_executions').where('window_id', '=', windowId).execute();
  await db.deleteFrom('maintenance_window_executions').where('window_id', '=', windowId).execute();
  await db.deleteFrom('maintenance_window_tasks').where('window_id', '=', windowId).execute();
  await db.deleteFrom('maintenance_window_targets').where('window_id', '=', windowId).execute();
  await db.deleteFrom('maintenance_windows').where('window_id', '=', windowId).execute();
}
