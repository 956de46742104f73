/**
 * The data-channel handshake (payload types 5–9), as JSON shapes with builders and parsers, plus
 * Capstan's own action, `CapstanTransport`, which negotiates the fast transport and its frame
 * size. AWS's session-manager-plugin answers an action it does not know with an error entry (its
 * ActionStatus is left 0 and ActionResult set to 3 = Unsupported) — anything but ActionStatus 1
 * means "stay in aws mode", so a real plugin falls back cleanly. A Capstan agent must therefore
 * treat a non-success CapstanTransport answer as a fallback, never as a handshake failure (AWS's
 * own agent fails the handshake on any non-success action). KMSEncryption is AWS's: its result
 * carries the data key's blob (payload-encryption.ts has the rest of the scheme).
 */
import { AWS_FRAME_SIZE, FAST_FRAME_SIZE, MAX_FRAME_SIZE, type TransportMode } from './reliable.js';

export const ActionType = {
  SessionType: 'SessionType',
  KMSEncryption: 'KMSEncryption',
  /** Capstan's extension: negotiate the fast transport. */
  CapstanTransport: 'CapstanTransport',
} as const;

export const ActionStatus = {
  Success: 1,
  Failed: 2,
  Unsupported: 3,
} as const;

export type SessionTypeName = 'Standard_Stream' | 'Port' | 'InteractiveCommands' | 'NonInteractiveCommands';
export const SESSION_TYPES: readonly SessionTypeName[] = ['Standard_Stream', 'Port', 'InteractiveCommands', 'NonInteractiveCommands'];

/** The smallest frame the fast transport may negotiate. */
export const MIN_FAST_FRAME_SIZE = AWS_FRAME_SIZE;
export const CAPSTAN_TRANSPORT_VERSION = 1;

export interface RequestedClientAction {
  ActionType: string;
  ActionParameters: unknown;
}

/** agent → client, payload type 5 */
export interface HandshakeRequestPayload {
  AgentVersion: string;
  RequestedClientActions: RequestedClientAction[];
}

export interface SessionTypeParameters {
  SessionType: SessionTypeName | string;
  Properties: unknown;
}

export interface KMSEncryptionParameters {
  KMSKeyId: string;
  Challenge?: string;
}

/** Parameters of Capstan's CapstanTransport action (agent → client). */
export interface CapstanTransportParameters {
  Version: number;
  Modes: TransportMode[];
  /** the largest frame payload the agent will send or accept */
  MaxFrameSize: number;
}

/** The client's answer to CapstanTransport. */
export interface CapstanTransportResult {
  Mode: TransportMode;
  /** the frame payload size both directions use from now on */
  FrameSize: number;
}

export interface ProcessedClientAction {
  ActionType: string;
  ActionStatus: number;
  ActionResult: unknown;
  Error: string;
}

/** client → agent, payload type 6 */
export interface HandshakeResponsePayload {
  ClientVersion: string;
  ProcessedClientActions: ProcessedClientAction[];
  /** Go writes null when there are none */
  Errors: string[] | null;
}

/** The KMSEncryption ActionResult (Go []byte fields are base64 strings in JSON). */
export interface KMSEncryptionResult {
  KMSCipherTextKey: string;
  KMSCipherTextHash?: string;
  ChallengeAcknowledgement?: boolean;
}

/** agent → client, payload type 7. HandshakeTimeToComplete is a Go time.Duration: nanoseconds. */
export interface HandshakeCompletePayload {
  HandshakeTimeToComplete: number;
  CustomerMessage: string;
}

/** payload types 8 and 9: Challenge is base64 of the (encrypted) bytes */
export interface EncryptionChallengePayload {
  Challenge: string;
}

export class HandshakeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HandshakeError';
  }
}

function toJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function parseJsonObject(payload: Uint8Array, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch (err) {
    throw new HandshakeError(`${what} is not JSON: ${(err as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new HandshakeError(`${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function str(o: Record<string, unknown>, what: string, name: string, optional = false): string {
  const v = o[name];
  if ((v === undefined || v === null) && optional) return '';
  if (typeof v !== 'string') throw new HandshakeError(`${what}: ${name} must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function checkFrameSize(what: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < MIN_FAST_FRAME_SIZE || n > MAX_FRAME_SIZE) {
    throw new HandshakeError(`${what} must be an integer from ${MIN_FAST_FRAME_SIZE} to ${MAX_FRAME_SIZE}, got ${JSON.stringify(n)}`);
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// HandshakeRequest

export interface HandshakeRequestInit {
  agentVersion: string;
  sessionType: SessionTypeName;
  properties?: unknown;
  kms?: { keyId: string; challenge?: string };
  /** offer the fast transport with this maximum frame size (default 64 KiB) */
  capstan?: { maxFrameSize?: number } | boolean;
}

export function buildHandshakeRequest(init: HandshakeRequestInit): HandshakeRequestPayload {
  const actions: RequestedClientAction[] = [
    { ActionType: ActionType.SessionType, ActionParameters: { SessionType: init.sessionType, Properties: init.properties ?? null } satisfies SessionTypeParameters },
  ];
  if (init.kms) {
    const p: KMSEncryptionParameters = { KMSKeyId: init.kms.keyId };
    if (init.kms.challenge !== undefined) p.Challenge = init.kms.challenge;
    actions.push({ ActionType: ActionType.KMSEncryption, ActionParameters: p });
  }
  if (init.capstan) {
    const max = typeof init.capstan === 'object' && init.capstan.maxFrameSize !== undefined ? init.capstan.maxFrameSize : FAST_FRAME_SIZE;
    const p: CapstanTransportParameters = { Version: CAPSTAN_TRANSPORT_VERSION, Modes: ['fast'], MaxFrameSize: checkFrameSize('MaxFrameSize', max) };
    actions.push({ ActionType: ActionType.CapstanTransport, ActionParameters: p });
  }
  return { AgentVersion: init.agentVersion, RequestedClientActions: actions };
}

export function encodeHandshakeRequest(init: HandshakeRequestInit | HandshakeRequestPayload): Buffer {
  return toJson('RequestedClientActions' in init ? init : buildHandshakeRequest(init));
}

export interface ParsedHandshakeRequest {
  agentVersion: string;
  sessionType?: SessionTypeParameters;
  kms?: KMSEncryptionParameters;
  capstan?: CapstanTransportParameters;
  /** actions this library does not know, in order */
  unknown: RequestedClientAction[];
  raw: HandshakeRequestPayload;
}

export function parseHandshakeRequest(payload: Uint8Array): ParsedHandshakeRequest {
  const what = 'HandshakeRequest';
  const o = parseJsonObject(payload, what);
  const agentVersion = str(o, what, 'AgentVersion', true);
  const list = o['RequestedClientActions'] ?? [];
  if (!Array.isArray(list)) throw new HandshakeError(`${what}: RequestedClientActions must be an array`);
  const out: ParsedHandshakeRequest = { agentVersion, unknown: [], raw: { AgentVersion: agentVersion, RequestedClientActions: [] } };
  list.forEach((a: unknown, i) => {
    const w = `${what}: RequestedClientActions[${i}]`;
    if (!isObject(a)) throw new HandshakeError(`${w} must be an object`);
    const type = str(a, w, 'ActionType');
    const params = a['ActionParameters'];
    out.raw.RequestedClientActions.push({ ActionType: type, ActionParameters: params });
    switch (type) {
      case ActionType.SessionType: {
        if (!isObject(params)) throw new HandshakeError(`${w}: SessionType parameters must be an object`);
        out.sessionType = { SessionType: str(params, w, 'SessionType'), Properties: params['Properties'] ?? null };
        break;
      }
      case ActionType.KMSEncryption: {
        if (!isObject(params)) throw new HandshakeError(`${w}: KMSEncryption parameters must be an object`);
        const kms: KMSEncryptionParameters = { KMSKeyId: str(params, w, 'KMSKeyId') };
        if (typeof params['Challenge'] === 'string') kms.Challenge = params['Challenge'];
        out.kms = kms;
        break;
      }
      case ActionType.CapstanTransport: {
        if (!isObject(params)) throw new HandshakeError(`${w}: CapstanTransport parameters must be an object`);
        const modes = params['Modes'];
        if (!Array.isArray(modes) || !modes.every((m) => typeof m === 'string')) throw new HandshakeError(`${w}: Modes must be an array of strings`);
        const version = params['Version'];
        if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) throw new HandshakeError(`${w}: Version must be a positive integer`);
        out.capstan = {
          Version: version,
          Modes: modes.filter((m): m is TransportMode => m === 'fast' || m === 'aws'),
          MaxFrameSize: checkFrameSize(`${w}: MaxFrameSize`, params['MaxFrameSize']),
        };
        break;
      }
      default:
        out.unknown.push({ ActionType: type, ActionParameters: params });
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// HandshakeResponse

export interface AnswerOptions {
  clientVersion: string;
  /** Does this client speak the fast transport? (a Capstan client: yes) */
  fast?: { maxFrameSize?: number } | boolean;
  /** The ActionResult for KMSEncryption (the client has called kms:GenerateDataKey), or an error. */
  kms?: { result: KMSEncryptionResult } | { error: string };
  /** Reject the SessionType (e.g. an unsupported one) with this error. */
  sessionTypeError?: string;
}

/**
 * A client's HandshakeResponse to a request, plus the transport both sides use afterwards.
 * Unknown actions are answered as Unsupported (status 3) with an error, as a client should.
 */
export function answerHandshakeRequest(
  request: ParsedHandshakeRequest,
  options: AnswerOptions,
): { response: HandshakeResponsePayload; transport: NegotiatedTransport } {
  const actions: ProcessedClientAction[] = [];
  const errors: string[] = [];
  let transport: NegotiatedTransport = { mode: 'aws', frameSize: AWS_FRAME_SIZE };
  for (const a of request.raw.RequestedClientActions) {
    switch (a.ActionType) {
      case ActionType.SessionType:
        if (options.sessionTypeError) {
          actions.push({ ActionType: a.ActionType, ActionStatus: ActionStatus.Failed, ActionResult: null, Error: options.sessionTypeError });
          errors.push(options.sessionTypeError);
        } else {
          actions.push({ ActionType: a.ActionType, ActionStatus: ActionStatus.Success, ActionResult: null, Error: '' });
        }
        break;
      case ActionType.KMSEncryption:
        if (options.kms && 'result' in options.kms) {
          actions.push({ ActionType: a.ActionType, ActionStatus: ActionStatus.Success, ActionResult: options.kms.result, Error: '' });
        } else {
          const e = options.kms && 'error' in options.kms ? options.kms.error : 'KMS encryption is not available on this client';
          actions.push({ ActionType: a.ActionType, ActionStatus: ActionStatus.Failed, ActionResult: null, Error: e });
          errors.push(e);
        }
        break;
      case ActionType.CapstanTransport:
        if (options.fast && request.capstan && request.capstan.Modes.includes('fast')) {
          const mine = typeof options.fast === 'object' && options.fast.maxFrameSize !== undefined ? options.fast.maxFrameSize : FAST_FRAME_SIZE;
          const frameSize = Math.min(checkFrameSize('maxFrameSize', mine), request.capstan.MaxFrameSize);
          const result: CapstanTransportResult = { Mode: 'fast', FrameSize: frameSize };
          actions.push({ ActionType: a.ActionType, ActionStatus: ActionStatus.Success, ActionResult: result, Error: '' });
          transport = { mode: 'fast', frameSize };
        } else {
          const e = `Unsupported action ${a.ActionType}`;
          actions.push({ ActionType: a.ActionType, ActionStatus: ActionStatus.Unsupported, ActionResult: null, Error: e });
          errors.push(e);
        }
        break;
      default: {
        const e = `Unsupported action ${a.ActionType}`;
        actions.push({ ActionType: a.ActionType, ActionStatus: ActionStatus.Unsupported, ActionResult: null, Error: e });
        errors.push(e);
      }
    }
  }
  return { response: { ClientVersion: options.clientVersion, ProcessedClientActions: actions, Errors: errors.length > 0 ? errors : null }, transport };
}

export function encodeHandshakeResponse(response: HandshakeResponsePayload): Buffer {
  return toJson(response);
}

export interface NegotiatedTransport {
  mode: TransportMode;
  frameSize: number;
}

export interface ParsedHandshakeResponse {
  clientVersion: string;
  actions: ProcessedClientAction[];
  errors: string[];
  /** fast only when the client answered CapstanTransport with status 1 and a valid result */
  transport: NegotiatedTransport;
  /** Actions, other than CapstanTransport, that did not succeed: AWS's agent fails the handshake on these. */
  failures: ProcessedClientAction[];
}

/**
 * Parses a client's HandshakeResponse. `maxFrameSize` is what the agent offered: a client
 * choosing more is a protocol error.
 */
export function parseHandshakeResponse(payload: Uint8Array, offer?: { maxFrameSize?: number }): ParsedHandshakeResponse {
  const what = 'HandshakeResponse';
  const o = parseJsonObject(payload, what);
  const list = o['ProcessedClientActions'] ?? [];
  if (!Array.isArray(list)) throw new HandshakeError(`${what}: ProcessedClientActions must be an array`);
  const errorsRaw = o['Errors'] ?? [];
  if (!Array.isArray(errorsRaw) || !errorsRaw.every((e) => typeof e === 'string')) throw new HandshakeError(`${what}: Errors must be an array of strings or null`);
  const out: ParsedHandshakeResponse = {
    clientVersion: str(o, what, 'ClientVersion', true),
    actions: [],
    errors: errorsRaw as string[],
    transport: { mode: 'aws', frameSize: AWS_FRAME_SIZE },
    failures: [],
  };
  list.forEach((a: unknown, i) => {
    const w = `${what}: ProcessedClientActions[${i}]`;
    if (!isObject(a)) throw new HandshakeError(`${w} must be an object`);
    const status = a['ActionStatus'] ?? 0;
    if (typeof status !== 'number') throw new HandshakeError(`${w}: ActionStatus must be a number`);
    const action: ProcessedClientAction = { ActionType: str(a, w, 'ActionType'), ActionStatus: status, ActionResult: a['ActionResult'] ?? null, Error: str(a, w, 'Error', true) };
    out.actions.push(action);
    if (action.ActionType === ActionType.CapstanTransport) {
      if (action.ActionStatus === ActionStatus.Success && isObject(action.ActionResult) && action.ActionResult['Mode'] === 'fast') {
        const size = checkFrameSize(`${w}: FrameSize`, action.ActionResult['FrameSize']);
        const max = offer?.maxFrameSize ?? MAX_FRAME_SIZE;
        if (size > max) throw new HandshakeError(`${w}: FrameSize ${size} is over the ${max} offered`);
        out.transport = { mode: 'fast', frameSize: size };
      }
    } else if (action.ActionStatus !== ActionStatus.Success) {
      out.failures.push(action);
    }
  });
  return out;
}

/**
 * The data-key blob of a successful KMSEncryption answer (Go writes []byte as base64), or a
 * HandshakeError saying what is missing; undefined when the client did not answer the action.
 */
export function kmsCipherTextKeyOf(response: ParsedHandshakeResponse): Buffer | undefined {
  const a = response.actions.find((x) => x.ActionType === ActionType.KMSEncryption);
  if (!a || a.ActionStatus !== ActionStatus.Success) return undefined;
  const r = a.ActionResult;
  const key = isObject(r) ? r['KMSCipherTextKey'] : undefined;
  if (typeof key !== 'string' || key.length === 0 || key.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(key)) {
    throw new HandshakeError('HandshakeResponse: the KMSEncryption result has no base64 KMSCipherTextKey');
  }
  return Buffer.from(key, 'base64');
}

// ---------------------------------------------------------------------------------------------
// HandshakeComplete and the encryption challenge

export function buildHandshakeComplete(timeToCompleteMs: number, customerMessage = ''): HandshakeCompletePayload {
  if (!Number.isFinite(timeToCompleteMs) || timeToCompleteMs < 0) throw new HandshakeError(`time to complete must be a non-negative number of ms, got ${timeToCompleteMs}`);
  return { HandshakeTimeToComplete: Math.round(timeToCompleteMs * 1e6), CustomerMessage: customerMessage };
}

export function encodeHandshakeComplete(timeToCompleteMs: number, customerMessage = ''): Buffer {
  return toJson(buildHandshakeComplete(timeToCompleteMs, customerMessage));
}

export function parseHandshakeComplete(payload: Uint8Array): { timeToCompleteMs: number; customerMessage: string } {
  const what = 'HandshakeComplete';
  const o = parseJsonObject(payload, what);
  const ns = o['HandshakeTimeToComplete'] ?? 0;
  if (typeof ns !== 'number' || ns < 0) throw new HandshakeError(`${what}: HandshakeTimeToComplete must be a non-negative number (nanoseconds)`);
  return { timeToCompleteMs: ns / 1e6, customerMessage: str(o, what, 'CustomerMessage', true) };
}

export function encodeEncryptionChallenge(challenge: Uint8Array): Buffer {
  const p: EncryptionChallengePayload = { Challenge: Buffer.from(challenge).toString('base64') };
  return toJson(p);
}

export function parseEncryptionChallenge(payload: Uint8Array): Buffer {
  const what = 'EncryptionChallenge';
  const o = parseJsonObject(payload, what);
  const c = str(o, what, 'Challenge');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(c) || c.length % 4 !== 0) throw new HandshakeError(`${what}: Challenge is not base64`);
  return Buffer.from(c, 'base64');
}
