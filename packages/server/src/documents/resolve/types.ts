import { AwsError } from '../../protocol/errors.js';

// The declarations are the validator's: what it accepts is exactly what binding understands.
export type { ParameterDeclaration, ParameterType } from '../validation/index.js';

/** SendCommand/StartAutomation/… parameters as the API gives them: name → list of strings (AWS's wire shape). */
export type SuppliedParameters = Record<string, string[]>;

/**
 * A parameter value converted to its declared type. A StringMap's values are not only strings:
 * AWS's own examples nest lists in them (`NotificationEvents: [Failed]`), so they stay `unknown`.
 */
export type ResolvedValue = string | string[] | number | boolean | Record<string, unknown>[] | Record<string, unknown>;

export interface ResolvedParameters {
  values: Record<string, ResolvedValue>;
  /** names whose values came from ssm-secure references: never store or show these */
  secret: Set<string>;
}

/** SSM declares `Message` on InvalidParameters. */
export const invalidParameters = (message: string): AwsError => new AwsError('InvalidParameters', message, { messageMember: 'Message' });
