import { AwsError } from '../protocol/errors.js';

const ssm = (code: string) => (message: string) => new AwsError(code, message, { messageMember: 'Message' });

export const invalidActivation = ssm('InvalidActivation');
export const invalidActivationId = ssm('InvalidActivationId');
export const invalidInstanceId = ssm('InvalidInstanceId');
export const invalidFilterKey = (message: string) => new AwsError('InvalidFilterKey', message, { messageMember: 'none' });
export const invalidFilterValue = (message: string) => new AwsError('InvalidInstanceInformationFilterValue', message, { messageMember: 'message' });
export const validation = (message: string) => new AwsError('ValidationException', message, { messageMember: 'message' });
