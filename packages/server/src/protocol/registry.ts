import type { ZodType } from 'zod';
import type { CallContext } from './context.js';

export type Protocol = 'json' | 'query' | 'rest-json';

/** One AWS service as it appears on the wire. */
export interface ServiceDef {
  /** Capstan's key, e.g. `ssm`; also the first part of throttle families. */
  readonly key: string;
  /** SigV4 signing name in the credential scope. */
  readonly signingName: string;
  /** Prefix of IAM actions, e.g. `ssm` in `ssm:GetParameter`. */
  readonly iamPrefix: string;
  readonly protocol: Protocol;
  /** JSON 1.x services: `X-Amz-Target: <targetPrefix>.<Operation>`. */
  readonly targetPrefix?: string;
  /** Other prefixes clients send for the same service (older models used long namespaced ones). */
  readonly targetAliases?: readonly string[];
  readonly jsonVersion?: '1.0' | '1.1';
  /** Query services: XML namespace of responses. */
  readonly xmlNamespace?: string;
  readonly apiVersion: string;
  /** CloudTrail `eventSource`, e.g. `ssm.amazonaws.com`. */
  readonly eventSource: string;
  /** Data that is not partitioned by region (IAM, STS). */
  readonly global?: boolean;
}

/** How a REST-JSON operation binds to HTTP. */
export interface HttpBinding {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path with `{label}` segments, e.g. `/tags/{resourceArn}`; a label ending in `+` takes the rest. */
  readonly path: string;
  /** Input member → query-string name. */
  readonly query?: Readonly<Record<string, string>>;
  /** Input member → header name. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly successStatus?: number;
}

export type ThrottleKind = 'read' | 'write';

/**
 * An AWS operation: what it is called, how its input is checked, which IAM action and
 * resources it needs, and the handler that answers it. Handlers translate; services decide.
 */
export interface OperationDef<I = unknown, O = unknown> {
  readonly service: ServiceDef;
  readonly name: string;
  readonly input: ZodType<I>;
  /** A handler that can answer without waiting may return its output as is: the pipeline awaits only a promise. */
  readonly handler: (input: I, call: CallContext) => O | Promise<O>;
  /** IAM action; defaults to `<iamPrefix>:<name>`. */
  readonly action?: string;
  /** Resource ARNs the caller must be allowed on; `['*']` when absent. */
  readonly resources?: (input: I, call: CallContext) => string[] | Promise<string[]>;
  /** Extra condition keys for policy evaluation (`ssm:Overwrite`, `aws:RequestTag/…`, `aws:TagKeys`). */
  readonly conditionKeys?: (input: I) => Record<string, string | string[] | boolean | number | undefined>;
  /** Input members whose values are secrets: redacted in the audit trail and in error messages. */
  readonly sensitive?: readonly string[];
  /** Defaults from the operation name (Get/Describe/List/… are reads). */
  readonly throttle?: ThrottleKind;
  /** `none`: every authenticated caller may call it (STS GetCallerIdentity). */
  readonly authorization?: 'policy' | 'none';
  readonly http?: HttpBinding;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOperation = OperationDef<any, any>;

export function defineOperation<I, O>(op: OperationDef<I, O>): OperationDef<I, O> {
  return op;
}

const READ_PREFIXES = ['Get', 'Describe', 'List', 'Lookup', 'Search', 'BatchGet'];

export function throttleKindOf(op: AnyOperation): ThrottleKind {
  if (op.throttle) return op.throttle;
  return READ_PREFIXES.some((p) => op.name.startsWith(p)) ? 'read' : 'write';
}

export function actionOf(op: AnyOperation): string {
  return op.action ?? `${op.service.iamPrefix}:${op.name}`;
}

/** Every operation the server answers, indexed the ways the protocols look them up. */
export class OperationRegistry {
  private readonly byTarget = new Map<string, AnyOperation>();
  private readonly byQueryAction = new Map<string, AnyOperation>();
  private readonly rest: AnyOperation[] = [];
  private readonly services = new Map<string, ServiceDef>();
  private readonly targetPrefixes = new Map<string, ServiceDef>();

  register(...ops: AnyOperation[]): this {
    for (const op of ops) {
      const svc = op.service;
      const known = this.services.get(svc.key);
      if (known && known !== svc) throw new Error(`service ${svc.key} registered twice with different definitions`);
      this.services.set(svc.key, svc);
      if (svc.protocol === 'json') {
        if (!svc.targetPrefix) throw new Error(`JSON service ${svc.key} needs a targetPrefix`);
        for (const prefix of [svc.targetPrefix, ...(svc.targetAliases ?? [])]) {
          this.targetPrefixes.set(prefix, svc);
          this.add(this.byTarget, `${prefix}.${op.name}`, op);
        }
      } else if (svc.protocol === 'query') {
        this.add(this.byQueryAction, `${svc.signingName}:${op.name}`, op);
      } else {
        if (!op.http) throw new Error(`REST operation ${svc.key}:${op.name} needs an http binding`);
        this.rest.push(op);
      }
    }
    return this;
  }

  private add(map: Map<string, AnyOperation>, key: string, op: AnyOperation): void {
    if (map.has(key)) throw new Error(`operation ${key} registered twice`);
    map.set(key, op);
  }

  byJsonTarget(target: string): AnyOperation | undefined {
    return this.byTarget.get(target);
  }

  /** The service a JSON target names, whether or not the operation exists. */
  serviceForTarget(target: string): ServiceDef | undefined {
    const dot = target.lastIndexOf('.');
    return dot < 0 ? undefined : this.targetPrefixes.get(target.slice(0, dot));
  }

  byQuery(signingName: string, action: string): AnyOperation | undefined {
    return this.byQueryAction.get(`${signingName}:${action}`);
  }

  queryServiceBySigningName(signingName: string): ServiceDef | undefined {
    for (const s of this.services.values()) if (s.protocol === 'query' && s.signingName === signingName) return s;
    return undefined;
  }

  restOperations(): readonly AnyOperation[] {
    return this.rest;
  }

  all(): AnyOperation[] {
    return [...new Set(this.byTarget.values()), ...this.byQueryAction.values(), ...this.rest];
  }
}
