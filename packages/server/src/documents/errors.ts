import { AwsError } from '../protocol/errors.js';

// The document exceptions of the AmazonSSM model declare `Message`; a few declare no member.
const ssm = (code: string) => (message: string) => new AwsError(code, message, { messageMember: 'Message' });
const bare = (code: string) => (message: string) => new AwsError(code, message, { messageMember: 'none' });

export const invalidDocument = (message = 'The specified document does not exist.') => ssm('InvalidDocument')(message);
export const invalidDocumentVersion = (message = 'The document version is not valid or does not exist.') => ssm('InvalidDocumentVersion')(message);
export const invalidDocumentOperation = ssm('InvalidDocumentOperation');
export const documentAlreadyExists = () => ssm('DocumentAlreadyExists')('The specified document already exists.');
export const documentLimitExceeded = ssm('DocumentLimitExceeded');
export const documentVersionLimitExceeded = ssm('DocumentVersionLimitExceeded');
export const maxDocumentSizeExceeded = ssm('MaxDocumentSizeExceeded');
export const duplicateDocumentContent = () =>
  ssm('DuplicateDocumentContent')('The content of the association document matches another document. Change the content of the document and try again.');
export const duplicateDocumentVersionName = (versionName: string) =>
  ssm('DuplicateDocumentVersionName')(`The version name ${versionName} has already been used in this document. Specify a different version name, and then try again.`);
export const documentPermissionLimit = ssm('DocumentPermissionLimit');
export const invalidPermissionType = ssm('InvalidPermissionType');
export const invalidDocumentType = ssm('InvalidDocumentType');
export const unsupportedCalendar = ssm('UnsupportedCalendarException');
export const associatedInstances = bare('AssociatedInstances');
export const invalidFilterKey = bare('InvalidFilterKey');
export const invalidNextToken = () => ssm('InvalidNextToken')('The specified token isn\'t valid.');
export const tooManyUpdates = ssm('TooManyUpdates');
export const validation = (message: string) => new AwsError('ValidationException', message, { messageMember: 'Message' });
