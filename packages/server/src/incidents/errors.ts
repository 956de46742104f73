import { AwsError } from '../protocol/errors.js';

// ssm-incidents is REST-JSON: its errors carry REST statuses and a lower-case `message`.
export const incidentValidation = (message: string) => new AwsError('ValidationException', message, { status: 400 });
export const incidentNotFound = (message: string, resourceType: string, resourceIdentifier: string) =>
  new AwsError('ResourceNotFoundException', message, { status: 404, fields: { resourceType, resourceIdentifier } });
export const incidentConflict = (message: string, resourceType: string, resourceIdentifier: string) =>
  new AwsError('ConflictException', message, { status: 409, fields: { resourceType, resourceIdentifier } });

// ssm-contacts is JSON 1.1: every client error is a 400, and its shapes name the member `Message`.
export const contactsValidation = (message: string, reason = 'FIELD_VALIDATION_FAILED') => new AwsError('ValidationException', message, { messageMember: 'Message', fields: { Reason: reason } });
export const contactsNotFound = (message: string, resourceType: string, resourceId: string) => new AwsError('ResourceNotFoundException', message, { messageMember: 'Message', fields: { ResourceType: resourceType, ResourceId: resourceId } });
export const contactsConflict = (message: string, resourceType: string, resourceId: string) => new AwsError('ConflictException', message, { messageMember: 'Message', fields: { ResourceType: resourceType, ResourceId: resourceId } });
