import { AwsError } from '../protocol/errors.js';

// Parameter Store's exceptions declare a lower-case `message` member; the others `Message`.
const ps = (code: string) => (message: string) => new AwsError(code, message, { messageMember: 'message' });
const ssm = (code: string) => (message: string) => new AwsError(code, message, { messageMember: 'Message' });

export const parameterNotFound = ps('ParameterNotFound');
export const parameterAlreadyExists = () => ps('ParameterAlreadyExists')('The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
export const parameterVersionNotFound = ps('ParameterVersionNotFound');
export const parameterLimitExceeded = ps('ParameterLimitExceeded');
export const parameterMaxVersionLimitExceeded = ps('ParameterMaxVersionLimitExceeded');
export const parameterVersionLabelLimitExceeded = ps('ParameterVersionLabelLimitExceeded');
export const parameterPatternMismatch = ps('ParameterPatternMismatchException');
export const hierarchyLevelLimitExceeded = ps('HierarchyLevelLimitExceededException');
export const hierarchyTypeMismatch = ps('HierarchyTypeMismatchException');
export const invalidAllowedPattern = ps('InvalidAllowedPatternException');
export const unsupportedParameterType = ps('UnsupportedParameterType');
export const invalidKeyId = ps('InvalidKeyId');
export const policiesLimitExceeded = ps('PoliciesLimitExceededException');
export const invalidPolicyType = ps('InvalidPolicyTypeException');
export const invalidPolicyAttribute = ps('InvalidPolicyAttributeException');
export const incompatiblePolicy = ps('IncompatiblePolicyException');
export const invalidFilterOption = ps('InvalidFilterOption');
export const invalidFilterKey = (message: string) => new AwsError('InvalidFilterKey', message, { messageMember: 'none' });
export const invalidFilterValue = ssm('InvalidFilterValue');
export const invalidNextToken = ssm('InvalidNextToken');
export const tooManyUpdates = ssm('TooManyUpdates');
export const validation = (message: string) => new AwsError('ValidationException', message, { messageMember: 'message' });
