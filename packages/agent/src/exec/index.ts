/** The agent's Run Command document executor: one invocation, real processes, AWS's step semantics. */
export { executeDocument, CRASHED_DETAILS } from './executor.js';
export type { ExecutionOutcome, ExecutionRequest, PlatformType } from './types.js';
