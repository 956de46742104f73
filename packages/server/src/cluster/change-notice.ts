import { sql, type Kysely } from 'kysely';
import { currentSchema } from '../store/database.js';
import { busChannel } from './bus.js';

export interface ChangeNotice {
  /** The trigger function's name (one per table). */
  fn: string;
  trigger: string;
  table: string;
  /** The bus topic every replica's cache of the table listens on. */
  topic: string;
  /** The message: its fields, each the row's column of that name. */
  fields: Record<string, string>;
}

/**
 * Makes PostgreSQL announce every committed insert, update or delete of `table`'s rows on the
 * cluster bus (the changed row's key fields as the message), whoever made it: a replica, or an
 * operator's own SQL. For a migration's `up`; SQLite has one writer and no such thing.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function createChangeNotice(db: Kysely<any>, n: ChangeNotice): Promise<void> {
  // The channel is written into the function: a session with another search_path (an
  // operator's, naming the table with its schema) still notifies Capstan's replicas.
  const schema = await currentSchema(db);
  const message = sql.join(Object.entries(n.fields).map(([field, column]) => sql`${sql.lit(field)}, r.${sql.ref(column)}`));
  await sql`create function ${sql.id(n.fn)}() returns trigger language plpgsql as $capstan$
    declare r record;
    begin
      if tg_op = 'DELETE' then r := old; else r := new; end if;
      perform pg_notify(${sql.lit(busChannel(schema))}::text,
        json_build_object('f', 'store', 't', ${sql.lit(n.topic)}::text, 'm', json_build_object(${message}))::text);
      return null;
    end $capstan$`.execute(db);
  await sql`create trigger ${sql.id(n.trigger)} after insert or update or delete on ${sql.id(n.table)} for each row execute function ${sql.id(n.fn)}()`.execute(db);
}
