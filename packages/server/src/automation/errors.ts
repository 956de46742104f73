import { AwsError } from '../protocol/errors.js';

const ssm = (code: string) => (message: string) => new AwsError(code, message, { messageMember: 'Message' });

export const definitionNotFound = ssm('AutomationDefinitionNotFoundException');
export const definitionVersionNotFound = ssm('AutomationDefinitionVersionNotFoundException');
export const invalidExecutionParameters = ssm('InvalidAutomationExecutionParametersException');
export const executionLimitExceeded = ssm('AutomationExecutionLimitExceededException');
export const idempotentMismatch = ssm('IdempotentParameterMismatch');
export const invalidTarget = ssm('InvalidTarget');
export const executionNotFound = ssm('AutomationExecutionNotFoundException');
export const stepNotFound = ssm('AutomationStepNotFoundException');
export const invalidSignal = ssm('InvalidAutomationSignalException');
export const invalidStatusUpdate = ssm('InvalidAutomationStatusUpdateException');
export const invalidNextToken = ssm('InvalidNextToken');
export const invalidFilterKey = (message: string) => new AwsError('InvalidFilterKey', message, { messageMember: 'message' });
export const invalidFilterValue = ssm('InvalidFilterValue');
export const validation = (message: string) => new AwsError('ValidationException', message, { messageMember: 'message' });

/** A step failed: the message the step and (unless it continues) the execution report. */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly failureType: 'Verification' | 'Invocation' | 'Unknown' = 'Invocation',
  ) {
    super(message);
  }
}
