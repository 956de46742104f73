import { AwsError } from '../protocol/errors.js';

// KMS error shapes name their member `message`; codes and wording follow what KMS answers.
const kmsError = (code: string, message: string) => new AwsError(code, message, { messageMember: 'message' });

export const keyNotFound = (arn: string) => kmsError('NotFoundException', `Key '${arn}' does not exist`);
export const invalidKeyId = (given: string) => kmsError('NotFoundException', `Invalid keyId '${given}'`);
export const aliasNotFound = (aliasArn: string) => kmsError('NotFoundException', `Alias ${aliasArn} is not found.`);
export const keyDisabled = (arn: string) => kmsError('DisabledException', `${arn} is disabled.`);
export const keyPendingDeletion = (arn: string) => kmsError('KMSInvalidStateException', `${arn} is pending deletion.`);
export const keyNotPendingDeletion = (arn: string) => kmsError('KMSInvalidStateException', `${arn} is not pending deletion.`);
export const aliasExists = (aliasArn: string) => kmsError('AlreadyExistsException', `An alias with the name ${aliasArn} already exists`);
export const aliasPrefixMissing = () =>
  kmsError('ValidationException', 'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html');
export const aliasInvalidCharacters = (name: string) => kmsError('ValidationException', `${name} contains invalid characters for an alias`);
export const validation = (message: string) => kmsError('ValidationException', message);
export const unsupported = (message: string) => kmsError('UnsupportedOperationException', message);
export const tagError = (message: string) => kmsError('TagException', message);
export const limitExceeded = (message: string) => kmsError('LimitExceededException', message);
export const invalidMarker = () => kmsError('InvalidMarkerException', 'The marker is not valid for this request.');
export const incorrectKey = () => kmsError('IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.');
export const invalidKeyUsage = (message: string) => kmsError('InvalidKeyUsageException', message);
export const dryRunSucceeded = () => kmsError('DryRunOperationException', 'The request would have succeeded, but the DryRun option is set.');

/**
 * KMS says nothing about why a ciphertext failed (wrong context, tampering, foreign blob):
 * telling them apart would help an attacker probe. The shape carries no message.
 */
export const invalidCiphertext = () => new AwsError('InvalidCiphertextException', '', { messageMember: 'none' });

/** `alias/aws/…` names belong to AWS managed keys; KMS refuses them with a bare NotAuthorizedException. */
export const reservedAlias = () => new AwsError('NotAuthorizedException', '', { messageMember: 'none' });

/**
 * AWS managed keys have a key policy that lets the account only read them (Describe*, Get*,
 * List*) and lets the owning service use them; anything else is denied by that policy.
 */
export const deniedByManagedKeyPolicy = (principalArn: string, action: string, arn: string) =>
  kmsError('AccessDeniedException', `User: ${principalArn} is not authorized to perform: ${action} on resource: ${arn} because no resource-based policy allows the ${action} action`);
