import type { AuditTrail } from '../audit/trail.js';
import type { Cluster } from '../cluster/index.js';
import type { EventLog } from '../events/log.js';
import type { ResourceTagRegistry } from '../iam/authorize.js';
import type { CredentialResolver, Principal } from '../iam/credentials.js';
import type { IamService } from '../iam/service.js';
import type { Clock } from '../scheduler/clock.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { Database } from '../store/database.js';
import type { Throttle } from '../throttle/throttle.js';
import type { OperationRegistry } from './registry.js';

/** What the server is made of; capabilities receive it through the call context. */
export interface Core {
  readonly database: Database;
  readonly clock: Clock;
  /** Seals secrets at rest; never leaves the process. */
  readonly rootKey: Buffer;
  readonly iam: IamService;
  readonly credentials: CredentialResolver;
  readonly resourceTags: ResourceTagRegistry;
  readonly audit: AuditTrail;
  readonly throttle: Throttle;
  readonly scheduler: Scheduler;
  readonly events: EventLog;
  readonly registry: OperationRegistry;
  /** This process among the replicas sharing the store. */
  readonly cluster: Cluster;
}

/** One authenticated API call. */
export interface CallContext {
  readonly requestId: string;
  readonly accountId: string;
  readonly region: string;
  readonly principal: Principal;
  readonly sourceIp: string;
  readonly userAgent: string;
  /** Milliseconds since the epoch when the call arrived, from the core clock. */
  readonly now: number;
  readonly core: Core;
  /**
   * Checks a further permission inside a call (e.g. `kms:Decrypt` on the key of a SecureString),
   * with the same principal and conditions as the call itself; throws AccessDeniedException.
   */
  authorize(action: string, resources: readonly string[]): Promise<void>;
  /** The same check, answered rather than thrown: for listings that show only what may be read. */
  isAllowed(action: string, resource: string): Promise<boolean>;
}
