import { AwsError } from '../protocol/errors.js';

const ssm = (code: string) => (message: string) => new AwsError(code, message, { messageMember: 'Message' });

export const doesNotExist = ssm('DoesNotExistException');
export const idempotentMismatch = ssm('IdempotentParameterMismatch');
export const limitExceeded = ssm('ResourceLimitExceededException');
export const featureNotAvailable = ssm('FeatureNotAvailableException');
export const targetInUse = ssm('TargetInUseException');
export const validation = (message: string) => new AwsError('ValidationException', message, { messageMember: 'message' });
