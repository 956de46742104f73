export { answerChallenge, challengeBytes, type HelloInfo, type HelloMessage } from './channel.js';
export * from './jobs.js';
export * as session from './session/index.js';
export * from './patching.js';
export * from './patch-approval.js';
