import type { Core } from '../protocol/context.js';

/** Answers whether something of another capability (an association, …) still uses a document. */
export type DocumentUser = (account: string, region: string, name: string) => Promise<boolean>;

const users = new WeakMap<Core, DocumentUser[]>();

/**
 * Capabilities that hold on to documents (State Manager associations, maintenance window
 * tasks) register here at start, so DeleteDocument can refuse while a document is in use
 * without the documents capability knowing about them.
 */
export function registerDocumentUser(core: Core, user: DocumentUser): void {
  users.set(core, [...(users.get(core) ?? []), user]);
}

export async function documentInUse(core: Core, account: string, region: string, name: string): Promise<boolean> {
  for (const user of users.get(core) ?? []) if (await user(account, region, name)) return true;
  return false;
}
