/**
 * Session Manager data-channel protocol, transport-agnostic: AWS's AgentMessage codec, a
 * reliable stream (AWS-compatible and Capstan fast modes), the handshake, and a stream
 * multiplexer for port forwarding, and the client end of a session over any WebSocket.
 */
export * from './agent-message.js';
export * from './clock.js';
export * from './reliable.js';
export * from './handshake.js';
export * from './payload-encryption.js';
export * from './mux.js';
export * from './client.js';
