import { AwsError } from '../protocol/errors.js';

const M = { messageMember: 'Message' } as const;

export const invalidParameter = (names: string[], message: string) => new AwsError('OpsItemInvalidParameterException', message, { ...M, fields: { ParameterNames: names } });
export const opsItemNotFound = (id: string) => new AwsError('OpsItemNotFoundException', `OpsItem ${id} does not exist in this account and region.`, M);
export const relatedItemExists = (opsItemId: string, uri: string) =>
  new AwsError('OpsItemRelatedItemAlreadyExistsException', `${uri} is already associated with OpsItem ${opsItemId}.`, { ...M, fields: { ResourceUri: uri, OpsItemId: opsItemId } });
export const associationNotFound = (id: string) => new AwsError('OpsItemRelatedItemAssociationNotFoundException', `OpsItem association ${id} does not exist.`, M);

// OpsMetadata exceptions declare a lower-case `message`.
export const metadataInvalid = (message: string) => new AwsError('OpsMetadataInvalidArgumentException', message);
export const metadataNotFound = (arn: string) => new AwsError('OpsMetadataNotFoundException', `OpsMetadata ${arn} does not exist.`);
export const metadataExists = (resourceId: string) => new AwsError('OpsMetadataAlreadyExistsException', `An OpsMetadata object already exists for resource ${resourceId}.`);
export const metadataLimit = (limit: number) => new AwsError('OpsMetadataLimitExceededException', `This account already has ${limit} OpsMetadata objects in this region, the most it may have.`);
export const metadataKeyLimit = (limit: number) => new AwsError('OpsMetadataKeyLimitExceededException', `An OpsMetadata object may have at most ${limit} keys.`);
