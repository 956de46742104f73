import { AwsError } from '../protocol/errors.js';

// EventBridge's exceptions declare a lower-case `message` member.
const events = (code: string) => (message: string) => new AwsError(code, message, { messageMember: 'message' });

export const validation = events('ValidationException');
export const resourceNotFound = events('ResourceNotFoundException');
export const resourceAlreadyExists = events('ResourceAlreadyExistsException');
export const limitExceeded = events('LimitExceededException');
export const concurrentModification = events('ConcurrentModificationException');
export const invalidEventPattern = (reason: string) => new AwsError('InvalidEventPatternException', `Event pattern is not valid. Reason: ${reason}`, { messageMember: 'message' });
export const invalidNextToken = () => validation('The NextToken is not valid for this listing: start again without it.');

export const ruleNotFound = (name: string) => resourceNotFound(`Rule ${name} does not exist on EventBus default.`);
