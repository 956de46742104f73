export { answerChallenge, challengeBytes } from './channel.js';
export * from './jobs.js';
