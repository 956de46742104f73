import type { StoredEvent } from './log.js';

/** An event as EventBridge delivers it to targets and as event patterns see it. */
export interface EventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  /** ISO 8601 to the second, as EventBridge writes it. */
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export function eventBridgeShape(e: StoredEvent): EventBridgeEvent {
  return {
    version: '0',
    id: e.id,
    'detail-type': e.detailType,
    source: e.source,
    account: e.accountId,
    time: isoSeconds(e.time),
    region: e.region,
    resources: e.resources,
    detail: e.detail,
  };
}

export const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
