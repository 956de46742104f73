import { AwsError } from '../protocol/errors.js';

const ssm = (code: string) => (message: string) => new AwsError(code, message, { messageMember: 'Message' });

export const invalidDocument = ssm('InvalidDocument');
export const targetNotConnected = ssm('TargetNotConnected');
export const doesNotExist = ssm('DoesNotExistException');
export const invalidFilterKey = (message: string) => new AwsError('InvalidFilterKey', message, { messageMember: 'message' });
export const validation = (message: string) => new AwsError('ValidationException', message, { messageMember: 'message' });
