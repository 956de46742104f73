import { AwsError } from '../protocol/errors.js';

const ssm = (code: string) => (message: string) => new AwsError(code, message, { messageMember: 'Message' });

export const associationDoesNotExist = ssm('AssociationDoesNotExist');
export const associationAlreadyExists = (message: string) => new AwsError('AssociationAlreadyExists', message, { messageMember: 'none' });
export const associationLimitExceeded = (message: string) => new AwsError('AssociationLimitExceeded', message, { messageMember: 'none' });
export const associationVersionLimitExceeded = ssm('AssociationVersionLimitExceeded');
export const invalidAssociationVersion = ssm('InvalidAssociationVersion');
export const invalidSchedule = ssm('InvalidSchedule');
export const invalidTarget = ssm('InvalidTarget');
export const invalidTargetMaps = ssm('InvalidTargetMaps');
export const invalidDocument = ssm('InvalidDocument');
export const invalidDocumentVersion = ssm('InvalidDocumentVersion');
export const invalidParameters = ssm('InvalidParameters');
export const invalidInstanceId = ssm('InvalidInstanceId');
export const invalidOutputLocation = (message: string) => new AwsError('InvalidOutputLocation', message, { messageMember: 'none' });
export const invalidFilter = ssm('InvalidFilter');
export const invalidFilterKey = (message: string) => new AwsError('InvalidFilterKey', message, { messageMember: 'message' });
export const invalidNextToken = ssm('InvalidNextToken');
export const invalidAssociation = ssm('InvalidAssociation');
export const validation = (message: string) => new AwsError('ValidationException', message, { messageMember: 'message' });
export const associationExecutionDoesNotExist = ssm('AssociationExecutionDoesNotExist');
