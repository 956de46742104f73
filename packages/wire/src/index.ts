export { answerChallenge, challengeBytes } from './channel.js';
