export { answerChallenge, challengeBytes } from './channel.js';
export * from './jobs.js';
export * as session from './session/index.js';
