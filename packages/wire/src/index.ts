export { answerChallenge, challengeBytes, type HelloInfo, type HelloMessage } from './channel.js';
export * from './jobs.js';
export { isLoopbackHost } from './loopback.js';
export * as session from './session/index.js';
// Node only (AES-GCM from node:crypto), so not part of the browser-safe session entry point.
export { SessionCipher, PayloadDecryptError } from './session/kms-encryption.js';
export * from './patching.js';
export * from './patch-approval.js';
