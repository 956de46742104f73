export {
  parsePolicyDocument,
  MalformedPolicyDocumentError,
  MANAGED_POLICY_MAX_SIZE,
  type ConditionBlock,
  type Effect,
  type ParsePolicyOptions,
  type PolicyDocument,
  type PolicyStatement,
  type PolicyVersion,
} from './document.js';
export {
  compilePolicy,
  evaluatePolicies,
  type CompiledPolicy,
  type Decision,
  type EvaluationRequest,
  type EvaluationResult,
  type PrincipalContext,
} from './evaluate.js';
export { MANAGED_POLICIES, managedPolicyArn, managedPolicyByArn, type ManagedPolicy } from './managed.js';
