import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Core } from '../protocol/context.js';
import { decodeToken, encodeToken } from '../documents/paging.js';
import { invalidActivationId, invalidInstanceId, validation } from './errors.js';
import { NodeJobs } from './jobs.js';
import type { ActivationRow, InstanceRow, NodeTables } from './tables.js';

const DAY = 86_400_000;
const CODE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export const hashCode = (code: string) => createHash('sha256').update(code, 'utf8').digest('hex');

function randomCode(): string {
  // 62 letters: rejection sampling keeps every character equally likely.
  let out = '';
  while (out.length < 20) for (const b of randomBytes(32)) if (b < 248 && out.length < 20) out += CODE_ALPHABET[b % 62];
  return out;
}

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
  /** Told when a node is deregistered, so work waiting for it ends (Undeliverable). */
  readonly onDeregister: ((account: string, region: string, instanceId: string) => Promise<void>)[] = [];
  /** WebSocket upgrades on paths other than the control channel (the session sockets); a handler returns true when it took the socket. */
  readonly upgradeHandlers: ((req: IncomingMessage, socket: Duplex, head: Buffer) => boolean)[] = [];
  /** Control-channel messages of types the channel itself does not know (`session-ack`); a handler returns true when it took the message. */
  readonly agentMessageHandlers: ((instanceId: string, m: Record<string, unknown>) => boolean)[] = [];
  constructor(
    readonly core: Core,
    readonly pingMs: number,
  ) {
    this.db = core.database.db.withTables<NodeTables>();
    this.jobs = new NodeJobs(core);
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
        })
        .execute();
      return { instanceId, accountId: a.account_id, region: a.region };
    });
  }

  instanceById = (instanceId: string) => this.db.selectFrom('managed_instances').selectAll().where('instance_id', '=', instanceId).executeTakeFirst();

  instance = (account: string, region: string, id: string) =>
    this.db.selectFrom('managed_instances').selectAll().where('account_id', '=', account).where('region', '=', region).where('instance_id', '=', id).executeTakeFirst();

  instances = (account: string, region: string) => this.db.selectFrom('managed_instances').selectAll().where('account_id', '=', account).where('region', '=', region).orderBy('instance_id').execute();

  async deregister(account: string, region: string, id: string): Promise<void> {
    const gone = await this.db.deleteFrom('managed_instances').where('account_id', '=', account).where('region', '=', region).where('instance_id', '=', id).executeTakeFirst();
    if (Number(gone.numDeletedRows) === 0) throw invalidInstanceId(`Instance ${id} is not a registered managed instance.`);
    await this.db.deleteFrom('node_jobs').where('instance_id', '=', id).execute();
    this.closeChannel(id);
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

  async update(instanceId: string, set: Partial<InstanceRow>): Promise<void> {
    await this.db.updateTable('managed_instances').set(set).where('instance_id', '=', instanceId).execute();
  }

  async setTags(account: string, region: string, id: string, tags: Record<string, string>): Promise<void> {
    await this.db.updateTable('managed_instances').set({ tags: JSON.stringify(tags) }).where('account_id', '=', account).where('region', '=', region).where('instance_id', '=', id).execute();
  }

  /** Online only while a channel is open and its last ping is within two intervals, by the core clock. */
  pingStatus(row: InstanceRow, now: number): 'Online' | 'ConnectionLost' {
    return row.connected === 1 && row.last_ping_at !== null && now - row.last_ping_at <= 2 * this.pingMs ? 'Online' : 'ConnectionLost';
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
