import { AwsError } from '../protocol/errors.js';

const ssm = (code: string) => (message: string) => new AwsError(code, message, { messageMember: 'Message' });
// AWS's shapes for these errors declare no message member; every SDK still shows a `message`, so the reason reaches the user.
const bare = (code: string) => (message: string) => new AwsError(code, message, { messageMember: 'message' });

export const invalidDocument = ssm('InvalidDocument');
export const invalidInstanceId = ssm('InvalidInstanceId');
export const duplicateInstanceId = bare('DuplicateInstanceId');
export const unsupportedPlatformType = ssm('UnsupportedPlatformType');
export const invalidNotificationConfig = ssm('InvalidNotificationConfig');
export const invalidOutputFolder = bare('InvalidOutputFolder');
export const invalidPluginName = bare('InvalidPluginName');
export const invocationDoesNotExist = bare('InvocationDoesNotExist');
export const invalidCommandId = bare('InvalidCommandId');
export const invalidFilterKey = bare('InvalidFilterKey');
export const validation = (message: string) => new AwsError('ValidationException', message, { messageMember: 'message' });
