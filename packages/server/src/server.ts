import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { auditOperations } from './audit/operations.js';
import { auditMigrations } from './audit/tables.js';
import { AuditTrail } from './audit/trail.js';
import { loadRootKey, type RootKeySource } from './crypto/root-key.js';
import { EventLog } from './events/log.js';
import { eventMigrations } from './events/tables.js';
import { clusterMigrations, createCluster } from './cluster/index.js';
import { buildApp } from './http/app.js';
import { ResourceTagRegistry } from './iam/authorize.js';
import { CredentialResolver } from './iam/credentials.js';
import { iamOperations } from './iam/operations.js';
import { IamService, secretContext, type AccountBootstrap } from './iam/service.js';
import { unseal } from './crypto/seal.js';
import { stsOperations } from './iam/sts-operations.js';
import { iamMigrations } from './iam/tables.js';
import { kmsCapability } from './kms/index.js';
import { documentsCapability } from './documents/index.js';
import { parametersCapability } from './parameters/index.js';
import { nodesCapability } from './nodes/index.js';
import { commandsCapability } from './commands/index.js';
import { consoleCapability } from './console/index.js';
import { opscenterCapability } from './opscenter/index.js';
import { inventoryCapability } from './inventory/index.js';
import { complianceCapability } from './compliance/index.js';
import { automationCapability } from './automation/index.js';
import { associationsCapability } from './associations/index.js';
import { maintenanceCapability } from './maintenance/index.js';
import { rulesCapability } from './rules/index.js';
import { sessionsCapability } from './sessions/index.js';
import { patchingCapability } from './patching/index.js';
import { resourceGroupsCapability } from './resourcegroups/index.js';
import { distributorCapability } from './distributor/index.js';
import { settingsCapability } from './settings/index.js';
import { taggingCapability } from './tagging/index.js';
import { incidentsCapability, type IncidentNotifyConfig } from './incidents/index.js';
import type { Capability } from './protocol/capability.js';
import type { S3Config } from './objects/s3.js';
import type { Core } from './protocol/context.js';
import { OperationRegistry, type AnyOperation } from './protocol/registry.js';
import { systemClock, type Clock } from './scheduler/clock.js';
import { Scheduler } from './scheduler/scheduler.js';
import { schedulerMigrations } from './scheduler/tables.js';
import { openDatabase } from './store/database.js';
import { migrate, type MigrationStep } from './store/migrations.js';
import { throttleMigrations } from './throttle/tables.js';
import { Throttle } from './throttle/throttle.js';
import { organizationsCapability } from './organizations/index.js';

export interface AdminPreset {
  accountId?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
}

export interface ServerOptions {
  dataDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** `postgres://…`; the embedded SQLite in the data directory when absent. */
  databaseUrl?: string;
  /** PostgreSQL connections this replica keeps at most (10). */
  databasePoolSize?: number;
  clock?: Clock;
  rootKey?: RootKeySource;
  /** Preset admin identity for a fresh data directory (CAPSTAN_ADMIN_* variables). */
  admin?: AdminPreset;
  /** Operations beyond the built-in ones; one named like a built-in replaces it (tests probe the pipeline this way). */
  operations?: AnyOperation[];
  migrations?: MigrationStep[];
  /** How long another replica may keep using a revoked key. */
  credentialTtlMs?: number;
  /** How long a replica may keep what it read (parameters, settings, event rules) unchecked should the cluster bus fail without a sign. */
  sharedCacheTtlMs?: number;
  trustProxy?: boolean;
  schedulerPollMs?: number;
  /** How long a claimed scheduler job is this replica's before another may take it over. */
  schedulerLeaseMs?: number;
  /** How often this replica writes its heartbeat, and how long a silent one has before it is declared dead. */
  replicaHeartbeatMs?: number;
  replicaDeadAfterMs?: number;
  /** How long a session's dropped side may take to come back (ResumeSession); 60 s. */
  sessionResumeWindowMs?: number;
  /** How often agents ping their control channel; a node is ConnectionLost after two missed pings. */
  agentPingMs?: number;
  /** How long a node may go unseen before it is Inactive (30 days). */
  nodeInactiveAfterMs?: number;
  /** The URL clients reach this server at, for links it hands out (output URLs); the listening address when absent. */
  publicUrl?: string;
  /** PEM certificate chain and key: serve HTTPS (and WSS to agents). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** An S3-compatible store for SendCommand's OutputS3BucketName. */
  s3?: S3Config;
  /** Incident Manager's outgoing pages: the SMTP server for email, the SMS and voice gateways' webhooks. */
  incidentNotifications?: IncidentNotifyConfig;
  /** Where bootstrap messages go; the admin secret is printed here exactly once. */
  log?: (line: string) => void;
}

export interface RunningServer {
  readonly url: string;
  readonly core: Core;
  readonly app: FastifyInstance;
  /** Set when this start created the admin account. */
  readonly bootstrap: AccountBootstrap | undefined;
  close(): Promise<void>;
}

export const CORE_MIGRATIONS: MigrationStep[] = [...eventMigrations, ...clusterMigrations, ...iamMigrations, ...auditMigrations, ...throttleMigrations, ...schedulerMigrations];
export const CORE_OPERATIONS: AnyOperation[] = [...stsOperations, ...iamOperations, ...auditOperations];
/** The capabilities, in start order: one may use those before it. */
export const CAPABILITIES: readonly Capability[] = [kmsCapability, settingsCapability, taggingCapability, parametersCapability, documentsCapability, nodesCapability, complianceCapability, commandsCapability, sessionsCapability, automationCapability, associationsCapability, rulesCapability, maintenanceCapability, inventoryCapability, patchingCapability, distributorCapability, resourceGroupsCapability, opscenterCapability, incidentsCapability, consoleCapability, organizationsCapability];
/** Every operation the server answers. */
export const ALL_OPERATIONS: AnyOperation[] = [...CORE_OPERATIONS, ...CAPABILITIES.flatMap((c) => c.operations)];
export const ALL_MIGRATIONS: MigrationStep[] = [...CORE_MIGRATIONS, ...CAPABILITIES.flatMap((c) => c.migrations)];

const IAM_CHANGED_TOPIC = 'iam.changed';

export function prepareDataDir(dataDir: string): void {
  if (!existsSync(dataDir)) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const log = options.log ?? ((line: string) => console.log(line));
  const clock = options.clock ?? systemClock;
  prepareDataDir(options.dataDir);
  const rootKey = loadRootKey(options.rootKey ?? { file: join(options.dataDir, 'root.key') });
  const database = await openDatabase(options.databaseUrl ? { url: options.databaseUrl, ...(options.databasePoolSize ? { maxConnections: options.databasePoolSize } : {}) } : { sqlitePath: join(options.dataDir, 'capstan.db') });
  try {
    await migrate(database, [...ALL_MIGRATIONS, ...(options.migrations ?? [])]);
  } catch (e) {
    await database.close();
    throw e;
  }

  const extra = options.operations ?? [];
  const replaced = new Set(extra.map((op) => `${op.service.key}:${op.name}`));
  const registry = new OperationRegistry().register(...ALL_OPERATIONS.filter((op) => !replaced.has(`${op.service.key}:${op.name}`)), ...extra);
  let credentials: CredentialResolver | undefined;
  let tellReplicas: () => void = () => undefined;
  const iam = new IamService(database, clock, rootKey, () => {
    credentials?.invalidate();
    tellReplicas();
  });
  credentials = new CredentialResolver(iam, clock, rootKey, options.credentialTtlMs);
  const throttle = new Throttle(database, clock);
  await throttle.reload();
  let listening = '';
  const cluster = createCluster(database, clock, () => options.publicUrl ?? listening, {
    ...(options.replicaHeartbeatMs !== undefined ? { heartbeatMs: options.replicaHeartbeatMs } : {}),
    ...(options.replicaDeadAfterMs !== undefined ? { deadAfterMs: options.replicaDeadAfterMs } : {}),
  });
  const scheduler = new Scheduler(database, clock, {
    owner: cluster.replicaId,
    ...(options.schedulerPollMs !== undefined ? { pollMs: options.schedulerPollMs } : {}),
    ...(options.schedulerLeaseMs !== undefined ? { leaseMs: options.schedulerLeaseMs } : {}),
  });
  // A revoked key or a narrowed policy takes effect on every replica at once; the cache's TTL
  // bounds it only while the bus is down.
  tellReplicas = () => void cluster.bus.publish(IAM_CHANGED_TOPIC, {}).catch(() => undefined);
  cluster.bus.subscribe(IAM_CHANGED_TOPIC, () => credentials?.invalidate());
  const core: Core = { database, clock, rootKey, iam, credentials, resourceTags: new ResourceTagRegistry(), audit: new AuditTrail(database), throttle, scheduler, events: new EventLog(database, clock), registry, cluster };

  await checkRootKey(core, database);
  const capabilityOptions = { dataDir: options.dataDir, ...(options.agentPingMs !== undefined ? { agentPingMs: options.agentPingMs } : {}), ...(options.nodeInactiveAfterMs !== undefined ? { nodeInactiveAfterMs: options.nodeInactiveAfterMs } : {}), publicUrl: () => options.publicUrl ?? listening, ...(options.s3 ? { s3: options.s3 } : {}), ...(options.sessionResumeWindowMs !== undefined ? { sessionResumeWindowMs: options.sessionResumeWindowMs } : {}), ...(options.incidentNotifications ? { incidentNotifications: options.incidentNotifications } : {}), ...(options.sharedCacheTtlMs !== undefined ? { sharedCacheTtlMs: options.sharedCacheTtlMs } : {}) };
  for (const capability of CAPABILITIES) await capability.start?.(core, capabilityOptions);
  const bootstrap = await bootstrapAdmin(core, options, log);
  const app = buildApp(core, { trustProxy: options.trustProxy ?? false, ...(options.tls ? { tls: options.tls } : {}) });
  for (const capability of CAPABILITIES) capability.http?.(app, core);
  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const url = (options.tls ? address.replace(/^http:/, 'https:') : address).replace('[::1]', '127.0.0.1');
  listening = url;
  try {
    await cluster.bus.start();
    await cluster.replicas.start();
  } catch (e) {
    await app.close();
    await database.close();
    throw e;
  }
  scheduler.start();
  const reload = setInterval(() => void throttle.reload().catch(() => undefined), 10_000);
  reload.unref();

  let closed = false;
  return {
    url,
    core,
    app,
    bootstrap,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(reload);
      await app.close();
      await scheduler.stop();
      await cluster.replicas.stop();
      await cluster.bus.stop();
      await core.audit.close();
      await database.close();
    },
  };
}

/**
 * A root key that does not open the store's secrets would fail every call with an internal
 * error; say so at start instead, before serving.
 */
async function checkRootKey(core: Core, database: Awaited<ReturnType<typeof openDatabase>>): Promise<void> {
  const sample = await core.iam.db.selectFrom('iam_access_keys').select(['access_key_id', 'secret_sealed']).limit(1).executeTakeFirst();
  if (!sample) return;
  try {
    unseal(core.rootKey, sample.secret_sealed, secretContext(sample.access_key_id));
  } catch {
    await database.close();
    throw new Error('the root key does not open the secrets in this database: start the server with the root key it was created with (DIR/root.key, CAPSTAN_ROOT_KEY_FILE or CAPSTAN_ROOT_KEY)');
  }
}

/**
 * A fresh store gets an admin account with an access key, written as an AWS shared-credentials
 * file (0600) in the data directory and printed once.
 */
async function bootstrapAdmin(core: Core, options: ServerOptions, log: (line: string) => void): Promise<AccountBootstrap | undefined> {
  if (core.database.engine !== 'postgres') return createAdmin(core, options, log);
  // Replicas starting together on a fresh store: one creates the admin, the others find it. The
  // lock is held by a transaction of its own while the account is created on other connections.
  return core.database.db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('capstan:bootstrap:' || current_schema()))`.execute(trx);
    return createAdmin(core, options, log);
  });
}

async function createAdmin(core: Core, options: ServerOptions, log: (line: string) => void): Promise<AccountBootstrap | undefined> {
  if (await core.iam.hasAccounts()) return undefined;
  const preset = options.admin ?? {};
  const created = await core.iam.createAccount({
    name: 'admin',
    ...(preset.accountId ? { accountId: preset.accountId } : {}),
    ...(preset.accessKeyId ? { accessKeyId: preset.accessKeyId } : {}),
    ...(preset.secretAccessKey ? { secretAccessKey: preset.secretAccessKey } : {}),
  });
  writeCredentialsFile(options.dataDir, created);
  log(`Created admin account ${created.accountId}.`);
  log(`  aws_access_key_id     = ${created.accessKeyId}`);
  log(`  aws_secret_access_key = ${created.secretAccessKey}`);
  log(`These are printed once; they are also in ${join(options.dataDir, 'credentials')} (mode 0600).`);
  return created;
}

export function writeCredentialsFile(dataDir: string, creds: AccountBootstrap): void {
  const file = join(dataDir, 'credentials');
  const body = `# Capstan admin of account ${creds.accountId}\n[default]\naws_access_key_id = ${creds.accessKeyId}\naws_secret_access_key = ${creds.secretAccessKey}\n`;
  writeFileSync(file, body, { mode: 0o600 });
  chmodSync(file, 0o600);
  const config = join(dataDir, 'config');
  if (!existsSync(config)) writeFileSync(config, '[default]\nregion = us-east-1\n', { mode: 0o600 });
}
