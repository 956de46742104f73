import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { InventoryItem } from '@capstan/wire';
import type { Duplex } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Core } from '../protocol/context.js';
import type { AnyDb } from '../store/database.js';
import { decodeToken, encodeToken } from '../documents/paging.js';
import { invalidActivationId, invalidInstanceId, validation } from './errors.js';
import { recordAssociationSummaries, type AssociationSummary } from './association-status.js';
import { NodeBoots, type BootListener } from './boot.js';
import { NodeJobs } from './jobs.js';
import { PingEvents } from './ping-events.js';
import type { ActivationRow, InstanceRow, NodeTables } from './tables.js';

const DAY = 86_400_000;

/** A node unseen this long is Inactive rather than ConnectionLost (AWS no longer uses the state; fleets need it). */
export const INACTIVE_AFTER_MS = 30 * DAY;

/** Bus topics served by the replica holding a node's channel. */
export const NODE_SEND_TOPIC = 'node.send';
export const NODE_CLOSE_TOPIC = 'node.close';
const CODE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export const hashCode = (code: string) => createHash('sha256').update(code, 'utf8').digest('hex');

function randomCode(): string {
  // 62 letters: rejection sampling keeps every character equally likely.
  let out = '';
  while (out.length < 20) for (const b of randomBytes(32)) if (b < 248 && out.length < 20) out += CODE_ALPHABET[b % 62];
  return out;
}

/** Told of a node's inventory report: the items as the agent sent them (TypeName, SchemaVersion, CaptureTime, ContentHash, Content). */
export type InventoryHandler = (accountId: string, region: string, instanceId: string, items: InventoryItem[]) => Promise<void | { resend?: boolean }>;

/** Told of a node's patch report (`{"type":"patch-report"}`) as the agent sent it, for the handler to check; resolves once it is stored. */
export type PatchReportHandler = (accountId: string, region: string, instanceId: string, report: Record<string, unknown>) => Promise<void>;

/** A registration the server refused; the message goes to the agent as is. */
export class RegistrationRefused extends Error {}

export interface RegisterRequest {
  activationId: string;
  activationCode: string;
  publicKey: string;
  region?: string;
  hostname?: string;
}

/** Activations, registrations and the managed-instance rows; the channel lives in channel.ts. */
export class NodeService {
  readonly db: Kysely<NodeTables>;
  /** Set by the channel endpoint of this process: deregistration ends the agent's channel. */
  closeChannel: (instanceId: string) => void = () => undefined;
  readonly jobs: NodeJobs;
  /** Announces ping-status transitions as events. */
  readonly pingEvents: PingEvents;
  /** Tells reboots from reconnects, and who wants to know of a reboot. */
  readonly boots: NodeBoots;
  /** Told when a node is deregistered, so work waiting for it ends (Undeliverable). */
  readonly onDeregister: ((account: string, region: string, instanceId: string) => Promise<void>)[] = [];
  /** WebSocket upgrades on paths other than the control channel (the session sockets); a handler returns true when it took the socket. */
  readonly upgradeHandlers: ((req: IncomingMessage, socket: Duplex, head: Buffer) => boolean)[] = [];
  /** Receives the inventory agents report (the inventory capability registers it); none: logged and dropped. */
  inventoryHandler: InventoryHandler | undefined;
  /** Receives the patch reports agents send (the patching capability registers it); none: logged and dropped. */
  patchReportHandler: PatchReportHandler | undefined;
  /** Control-channel messages of types the channel itself does not know (`session-ack`); a handler returns true when it took the message. */
  readonly agentMessageHandlers: ((instanceId: string, m: Record<string, unknown>) => boolean)[] = [];
  constructor(
    readonly core: Core,
    readonly pingMs: number,
    readonly inactiveAfterMs = INACTIVE_AFTER_MS,
  ) {
    this.db = core.database.db.withTables<NodeTables>();
    this.jobs = new NodeJobs(core);
    this.pingEvents = new PingEvents(this);
    this.boots = new NodeBoots(core);
  }

  /**
   * `listener` is told, after the hello has committed, when a node whose agent asks for
   * associations on boot connects with a boot time other than the one stored (not on its first
   * hello). Once per boot across replicas; again only if a listener failed (see NodeBoots).
   */
  onBoot(listener: BootListener): void {
    this.boots.onBoot(listener);
  }

  /**
   * `handler` receives each inventory report of an agent (`{"type":"inventory"}`: the types whose
   * content changed). The agent keeps the report until the handler's promise resolves; a handler
   * that throws gets it again after the agent's next resend. A handler that returns
   * `{ resend: true }` (it cannot use a report, e.g. it lost the node's earlier state) makes the
   * agent send every type in full on its next run. One handler: a later one replaces it.
   */
  onInventory(handler: InventoryHandler): void {
    this.inventoryHandler = handler;
  }

  /**
   * `handler` receives each patch report of an agent (the outcome of an `aws:runPatchBaseline`
   * step). The agent keeps the report until the handler's promise resolves; one that throws gets
   * it again after the agent's next reconnect. One handler: a later one replaces it.
   */
  onPatchReport(handler: PatchReportHandler): void {
    this.patchReportHandler = handler;
  }

  async createActivation(account: string, region: string, now: number, i: { Description?: string; DefaultInstanceName?: string; IamRole: string; RegistrationLimit?: number; ExpirationDate?: number; Tags?: { Key: string; Value: string }[] }) {
    const expires = i.ExpirationDate !== undefined ? Math.round(i.ExpirationDate * 1000) : now + DAY;
    if (expires <= now) throw validation('ExpirationDate must be in the future.');
    if (expires > now + 30 * DAY) throw validation('ExpirationDate must be at most 30 days from now.');
    const id = randomUUID();
    const code = randomCode();
    await this.db
      .insertInto('activations')
      .values({
        account_id: account,
        region,
        activation_id: id,
        code_hash: hashCode(code),
        description: i.Description ?? '',
        default_instance_name: i.DefaultInstanceName ?? '',
        iam_role: i.IamRole,
        registration_limit: i.RegistrationLimit ?? 1,
        registrations_count: 0,
        expires_at: expires,
        created_at: now,
        tags: JSON.stringify(Object.fromEntries((i.Tags ?? []).map((t) => [t.Key, t.Value]))),
      })
      .execute();
    return { ActivationId: id, ActivationCode: code };
  }

  async describeActivations(account: string, region: string, now: number, i: { Filters?: { FilterKey: string; FilterValues?: string[] }[]; MaxResults?: number; NextToken?: string }) {
    const scope = JSON.stringify(['activations', account, region, i.Filters ?? []]);
    const after = decodeToken(i.NextToken, scope, (a): a is string => typeof a === 'string');
    let q = this.db.selectFrom('activations').selectAll().where('account_id', '=', account).where('region', '=', region);
    if (after !== undefined) q = q.where('activation_id', '>', after);
    const column = { ActivationIds: 'activation_id', DefaultInstanceName: 'default_instance_name', IamRole: 'iam_role' } as const;
    for (const f of i.Filters ?? []) if (f.FilterValues?.length) q = q.where(column[f.FilterKey as keyof typeof column], 'in', f.FilterValues);
    const limit = i.MaxResults ?? 50;
    const rows = await q.orderBy('activation_id').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    return {
      ActivationList: page.map((r) => activationView(r, now)),
      ...(rows.length > limit ? { NextToken: encodeToken(scope, page[page.length - 1]!.activation_id) } : {}),
    };
  }

  async deleteActivation(account: string, region: string, id: string): Promise<void> {
    const gone = await this.db.deleteFrom('activations').where('account_id', '=', account).where('region', '=', region).where('activation_id', '=', id).executeTakeFirst();
    if (Number(gone.numDeletedRows) === 0) throw invalidActivationId(`Activation ID ${id} is not valid.`);
  }

  /** Checks the code and counts the registration in one transaction, so a limit is never exceeded. */
  async register(r: RegisterRequest): Promise<{ instanceId: string; accountId: string; region: string }> {
    const now = this.core.clock.now();
    return this.db.transaction().execute(async (trx) => {
      const a = await trx.selectFrom('activations').selectAll().where('activation_id', '=', r.activationId).executeTakeFirst();
      const given = Buffer.from(hashCode(r.activationCode), 'hex');
      // Compared as hashes of equal length, so the time taken says nothing about the code.
      if (!a || !timingSafeEqual(given, Buffer.from(a.code_hash, 'hex'))) throw new RegistrationRefused('the activation id and activation code do not match an activation');
      if (r.region && r.region !== a.region) throw new RegistrationRefused(`the activation belongs to region ${a.region}, not ${r.region}`);
      if (a.expires_at <= now) throw new RegistrationRefused(`the activation expired at ${new Date(a.expires_at).toISOString()}`);
      const counted = await trx
        .updateTable('activations')
        .set((eb) => ({ registrations_count: eb('registrations_count', '+', 1) }))
        .where('activation_id', '=', a.activation_id)
        .where('registrations_count', '<', a.registration_limit)
        .executeTakeFirst();
      if (Number(counted.numUpdatedRows) === 0) throw new RegistrationRefused(`the activation has reached its registration limit of ${a.registration_limit}`);
      const instanceId = `mi-${randomBytes(9).toString('hex').slice(0, 17)}`;
      await trx
        .insertInto('managed_instances')
        .values({
          account_id: a.account_id,
          region: a.region,
          instance_id: instanceId,
          activation_id: a.activation_id,
          iam_role: a.iam_role,
          name: a.default_instance_name,
          public_key: r.publicKey,
          registered_at: now,
          connected: 0,
          last_ping_at: null,
          agent_version: '',
          platform_type: '',
          platform_name: '',
          platform_version: '',
          ip_address: '',
          computer_name: r.hostname ?? '',
          tags: '{}',
          architecture: '',
          kernel: '',
          next_public_key: null,
          key_rotated_at: null,
          last_error: '',
          last_error_at: null,
          disconnected_at: null,
          disconnect_reason: '',
          channel_replica: '',
        })
        .execute();
      return { instanceId, accountId: a.account_id, region: a.region };
    });
  }

  instanceById = (instanceId: string) => this.db.selectFrom('managed_instances').selectAll().where('instance_id', '=', instanceId).executeTakeFirst();

  /** `db`: a transaction the caller holds (SQLite has one connection: a read beside it would wait for it). */
  instance = (account: string, region: string, id: string, db?: AnyDb) =>
    ((db?.withTables<NodeTables>() as Kysely<NodeTables> | undefined) ?? this.db).selectFrom('managed_instances').selectAll().where('account_id', '=', account).where('region', '=', region).where('instance_id', '=', id).executeTakeFirst();

  instances = (account: string, region: string) => this.db.selectFrom('managed_instances').selectAll().where('account_id', '=', account).where('region', '=', region).orderBy('instance_id').execute();

  async deregister(account: string, region: string, id: string): Promise<void> {
    const gone = await this.db.deleteFrom('managed_instances').where('account_id', '=', account).where('region', '=', region).where('instance_id', '=', id).executeTakeFirst();
    if (Number(gone.numDeletedRows) === 0) throw invalidInstanceId(`Instance ${id} is not a registered managed instance.`);
    await this.db.deleteFrom('node_jobs').where('instance_id', '=', id).execute();
    this.closeChannel(id);
    await this.core.cluster.bus.publish(NODE_CLOSE_TOPIC, { instanceId: id }).catch(() => undefined);
    for (const f of this.onDeregister) await f(account, region, id);
  }

  /** The role the node's work runs with (UpdateManagedInstanceRole). */
  async setRole(account: string, region: string, id: string, role: string): Promise<void> {
    const res = await this.db.updateTable('managed_instances').set({ iam_role: role }).where('account_id', '=', account).where('region', '=', region).where('instance_id', '=', id).executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw invalidInstanceId(`Instance ${id} is not a registered managed instance.`);
  }

  /** Sends a message on the node's control channel; false when this process does not hold it. */
  sendToAgent(instanceId: string, message: object): boolean {
    const ch = this.jobs.channels.get(instanceId);
    if (!ch) return false;
    ch.send(JSON.stringify(message));
    return true;
  }

  /**
   * Sends a message on the node's control channel wherever it is: on this process, or through
   * the replica holding it. False when no live replica holds a channel of the node.
   */
  async deliverToAgent(instanceId: string, message: object): Promise<boolean> {
    if (this.sendToAgent(instanceId, message)) return true;
    if (!(await this.channelReplica(instanceId))) return false;
    await this.core.cluster.bus.publish(NODE_SEND_TOPIC, { instanceId, message });
    return true;
  }

  /** The live replica holding the node's control channel, if any. */
  async channelReplica(instanceId: string): Promise<string | undefined> {
    if (this.jobs.connectedHere(instanceId)) return this.core.cluster.replicaId;
    const row = await this.db.selectFrom('managed_instances').select(['connected', 'channel_replica']).where('instance_id', '=', instanceId).executeTakeFirst();
    if (!row || row.connected !== 1 || !row.channel_replica || row.channel_replica === this.core.cluster.replicaId) return undefined;
    return (await this.core.cluster.replicas.liveUrl(row.channel_replica)) ? row.channel_replica : undefined;
  }

  async update(instanceId: string, set: Partial<InstanceRow>): Promise<void> {
    await this.db.updateTable('managed_instances').set(set).where('instance_id', '=', instanceId).execute();
  }

  /**
   * Updates the node's row only while this replica holds its channel: a channel that closes
   * here after the agent has already connected to another replica must not mark it offline.
   */
  async updateIfHolder(instanceId: string, set: Partial<InstanceRow>): Promise<void> {
    await this.db.updateTable('managed_instances').set(set).where('instance_id', '=', instanceId).where('channel_replica', '=', this.core.cluster.replicaId).execute();
  }

  /**
   * What State Manager reports of the nodes' associations (DescribeInstanceInformation's
   * AssociationStatus and AssociationOverview), written in `trx`, the transaction that changed
   * their results. `summarize` computes the summaries once the nodes' rows are locked, so that
   * concurrent changes on one node cannot each write a summary that misses the other.
   */
  setAssociationSummaries(trx: AnyDb, instanceIds: readonly string[], summarize: (ids: string[]) => Promise<ReadonlyMap<string, AssociationSummary>>): Promise<void> {
    return recordAssociationSummaries(trx, this.core.database.engine, instanceIds, summarize);
  }

  async setTags(account: string, region: string, id: string, tags: Record<string, string>): Promise<void> {
    await this.db.updateTable('managed_instances').set({ tags: JSON.stringify(tags) }).where('account_id', '=', account).where('region', '=', region).where('instance_id', '=', id).execute();
  }

  /**
   * Online only while a channel is open and its last ping is within two intervals, by the core
   * clock; Inactive once it has not been seen (or, never connected, since it registered) for
   * INACTIVE_AFTER_MS: a node long gone, as opposed to one that just dropped; ConnectionLost between.
   */
  pingStatus(row: InstanceRow, now: number): 'Online' | 'ConnectionLost' | 'Inactive' {
    const { onlineSince, inactiveBefore } = this.pingCutoffs(now);
    if (row.connected === 1 && row.last_ping_at !== null && row.last_ping_at >= onlineSince) return 'Online';
    return (row.last_ping_at ?? row.registered_at) < inactiveBefore ? 'Inactive' : 'ConnectionLost';
  }

  /** The times pingStatus compares with, for the listings that apply the same rule in SQL. */
  pingCutoffs(now: number): { onlineSince: number; inactiveBefore: number } {
    return { onlineSince: now - 2 * this.pingMs, inactiveBefore: now - this.inactiveAfterMs };
  }

  /**
   * The CPU architecture and kernel an agent reports in its hello (columns of 0850_node_listing,
   * shown by DescribeInstanceProperties). Node's architecture names become AWS's (x64 → x86_64).
   */
  hostFacts(facts: { architecture: string; kernel: string }): { architecture: string; kernel: string } {
    const names: Record<string, string> = { x64: 'x86_64', ia32: 'i386', arm64: 'arm64', arm: 'arm' };
    const architecture = Object.hasOwn(names, facts.architecture) ? names[facts.architecture]! : facts.architecture;
    return { architecture: architecture.slice(0, 32), kernel: facts.kernel.slice(0, 256) };
  }
}

function activationView(r: ActivationRow, now: number) {
  return {
    ActivationId: r.activation_id,
    Description: r.description,
    DefaultInstanceName: r.default_instance_name,
    IamRole: r.iam_role,
    RegistrationLimit: r.registration_limit,
    RegistrationsCount: r.registrations_count,
    ExpirationDate: new Date(r.expires_at),
    Expired: r.expires_at <= now,
    CreatedDate: new Date(r.created_at),
    Tags: Object.entries(JSON.parse(r.tags) as Record<string, string>).map(([Key, Value]) => ({ Key, Value })),
  };
}
