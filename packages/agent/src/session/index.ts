/** The agent's Session Manager side: session plugins over the session socket (docs/session-protocol.md). */
export { SessionManager, type SessionManagerOptions } from './manager.js';
export { AgentDataChannel, type DataChannelOptions } from './data-channel.js';
export { dialSessionSocket, SessionSocketRefused, SESSION_SOCKET_PATH } from './socket.js';
export { isDeniedAddress } from './port.js';
export type { SessionStartMessage, SessionEndMessage, SessionAck } from './types.js';
