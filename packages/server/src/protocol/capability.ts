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

/** Server options a capability reads at start. */
export interface CapabilityOptions {
  /** How often agents ping their control channel (30 s). */
  agentPingMs?: number;
  /** The server's URL as clients reach it. */
  publicUrl?: () => string;
  /** The S3-compatible store for command output sent to OutputS3BucketName. */
  s3?: S3Config;
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
