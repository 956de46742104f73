/** The session protocol from @capstan/wire (exported there as the `session` namespace), by name. */
import { session } from '@capstan/wire';

export const {
  FlagValue,
  HandshakeError,
  MessageType,
  PayloadType,
  ReliableStream,
  Mux,
  SESSION_TYPES,
  agentSessionStateMessage,
  answerHandshakeRequest,
  encodeHandshakeComplete,
  encodeHandshakeRequest,
  encodeHandshakeResponse,
  flagPayload,
  parseAgentSessionState,
  parseChannelClosed,
  parseFlagPayload,
  parseHandshakeComplete,
  parseHandshakeRequest,
  parseHandshakeResponse,
  parseSizePayload,
  sizePayload,
} = session;
export type ReliableStream = session.ReliableStream;
export type Mux = session.Mux;
export type MuxStream = session.MuxStream;
export type AgentMessage = session.AgentMessage;
export type SessionTypeName = session.SessionTypeName;
export type SessionTypeParameters = session.SessionTypeParameters;
