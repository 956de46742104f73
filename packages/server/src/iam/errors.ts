import { AwsError } from '../protocol/errors.js';

// IAM is a Query-protocol service: codes and statuses as the IAM API reference gives them.
export const noSuchEntity = (message: string) => new AwsError('NoSuchEntity', message, { status: 404 });
export const entityAlreadyExists = (message: string) => new AwsError('EntityAlreadyExists', message, { status: 409 });
export const deleteConflict = (message: string) => new AwsError('DeleteConflict', message, { status: 409 });
export const limitExceeded = (message: string) => new AwsError('LimitExceeded', message, { status: 409 });
export const malformedPolicyDocument = (message: string) => new AwsError('MalformedPolicyDocument', message, { status: 400 });
export const invalidInput = (message: string) => new AwsError('InvalidInput', message, { status: 400 });
export const accessDenied = (message: string) => new AwsError('AccessDenied', message, { status: 403 });
export const invalidUserType = (message: string) => new AwsError('InvalidUserType', message, { status: 400 });
export const entityTemporarilyUnmodifiable = (message: string) => new AwsError('EntityTemporarilyUnmodifiable', message, { status: 409 });
