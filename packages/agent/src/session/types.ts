import type { SessionTypeName } from '@capstan/wire/session';

/** Capstan's own session type: file copies over the mux (`capstan cp`). */
export const CAPSTAN_FILE_COPY = 'CapstanFileCopy';
export type AgentSessionType = SessionTypeName | typeof CAPSTAN_FILE_COPY;

/** The control channel's `session` message (docs/session-protocol.md). */
export interface SessionStartMessage {
  type: 'session';
  sessionId: string;
  sessionType: SessionTypeName | string;
  documentName?: string;
  /** the session document's properties with the caller's parameters substituted */
  properties?: unknown;
  runAsUser?: string;
  /** `{linux: "…"}` as in SSM-SessionManagerRunShell, or the Linux text itself */
  shellProfile?: { linux?: string; windows?: string } | string;
  kmsKeyId?: string;
  /**
   * The server replica relaying the session, where the session socket is opened; the
   * registered endpoint when absent. Held to the same trust rules as the endpoint.
   */
  url?: string;
  /**
   * The session exists already and another replica relays it now (its relaying replica died):
   * redial at `url` from here on.
   */
  move?: boolean;
}

export interface SessionEndMessage {
  type: 'session-end';
  sessionId: string;
}

export interface SessionAck {
  type: 'session-ack';
  sessionId: string;
  status: 'accepted' | 'refused';
  message?: string;
}

/** What a running plugin gets from its data channel. */
export interface PluginContext {
  sessionId: string;
  /**
   * Queues a payload to the client; false asks the plugin to hold its source until onDrain. The
   * payload may come in pieces (a header and the data after it), which travel as if joined and
   * are copied once, into the message that carries them. The bytes are not copied before that:
   * leave them unchanged.
   */
  write(payloadType: number, bytes: Uint8Array | readonly Uint8Array[]): boolean;
  /** Called whenever the stream has drained after write() returned false. */
  onDrain(fn: () => void): void;
  /** The plugin has finished on its own (the shell exited): flush and end the session. */
  finish(reason: string): void;
  log(line: string): void;
  /** Capstan client that negotiated the fast transport (so it speaks Capstan's mux). */
  capstanClient: boolean;
}

export interface SessionPlugin {
  /** A payload from the client, in order (Output, Size, Flag…). */
  input(payloadType: number, payload: Buffer): void;
  /** Stop at once: kill the process, close the connections. Idempotent. */
  kill(): void;
}

/** A refusal that is the caller's fault (bad parameters, forbidden user or address): said to the client as is. */
export class SessionRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SessionRefused';
  }
}
