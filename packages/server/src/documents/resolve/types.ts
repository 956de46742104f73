import { AwsError } from '../../protocol/errors.js';

// A structural copy of the declaration types `documents/validation/index.ts` exports, kept here
// while that module is written in parallel; the shapes must stay identical, so swapping this
// file for a re-export is the whole migration.
export type ParameterType = 'String' | 'StringList' | 'Integer' | 'Boolean' | 'MapList' | 'StringMap';
export interface ParameterDeclaration {
  name: string;
  type: ParameterType;
  description?: string;
  default?: unknown;
  allowedValues?: string[];
  allowedPattern?: string;
  minItems?: number;
  maxItems?: number;
  minChars?: number;
  maxChars?: number;
  displayType?: 'textarea' | 'textfield';
}

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
