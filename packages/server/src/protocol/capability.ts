import type { FastifyInstance } from 'fastify';
import type { MigrationStep } from '../store/migrations.js';
import type { Core } from './context.js';
import type { AnyOperation } from './registry.js';
import type { S3Config } from '../objects/s3.js';

/**
 * A capability (parameters, kms, documents, …) as the server assembles it: its tables, its AWS
 * operations, and what it sets up at start (its service, scheduler handlers, tag lookups).
 */
export interface Capability {
  readonly name: string;
  readonly migrations: readonly MigrationStep[];
  readonly operations: readonly AnyOperation[];
  start?(core: Core, options: CapabilityOptions): void | Promise<void>;
  /** Endpoints beyond the AWS protocols (the agent's registration and channel). */
  http?(app: FastifyInstance, core: Core): void;
}

/** The SMTP server Incident Manager's email leaves through. */
export interface SmtpConfig {
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure?: boolean;
  user?: string;
  pass?: string;
  /** The envelope and header sender, e.g. `Capstan Incidents <incidents@example.com>`. */
  from: string;
}

/**
 * How Incident Manager reaches people: email over SMTP, and SMS and voice through gateways that
 * take a signed JSON webhook (a small bridge to the operator's provider).
 */
export interface IncidentNotifyConfig {
  smtp?: SmtpConfig;
  smsWebhookUrl?: string;
  voiceWebhookUrl?: string;
}

/** Server options a capability reads at start. */
export interface CapabilityOptions {
  /** How often agents ping their control channel (30 s). */
  agentPingMs?: number;
  /** How long a node may go unseen before it is Inactive rather than ConnectionLost (30 days). */
  nodeInactiveAfterMs?: number;
  /** The server's URL as clients reach it. */
  publicUrl?: () => string;
  /** The server's data directory (the package store lives under it unless told otherwise). */
  dataDir?: string;
  /** The S3-compatible store for command output sent to OutputS3BucketName. */
  s3?: S3Config;
  /** How long a session's dropped side (or a session whose relaying replica died) may take to come back. */
  sessionResumeWindowMs?: number;
  /** Where Incident Manager's pages go: the SMTP server for email, gateways for SMS and voice. */
  incidentNotifications?: IncidentNotifyConfig;
  /** On PostgreSQL, how long a replica may keep what it read (parameters, settings, event rules) should the cluster bus fail without a sign (5 s). */
  sharedCacheTtlMs?: number;
}

/**
 * Holds one service per server for a capability. Another capability reaches it only through
 * the owner's index.ts, which exposes `get(core)`.
 */
export class ServiceSlot<T> {
  private readonly byCore = new WeakMap<Core, T>();
  constructor(private readonly name: string) {}
  set(core: Core, service: T): void {
    this.byCore.set(core, service);
  }
  get(core: Core): T {
    const s = this.byCore.get(core);
    if (!s) throw new Error(`the ${this.name} capability was not started on this server`);
    return s;
  }
}
