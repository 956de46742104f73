import { validateAutomation } from './automation.js';
import { validateCalendar } from './calendar.js';
import { validateCommand } from './command.js';
import { parseContent } from './format.js';
import { FREEFORM, validateGeneric, type GenericType } from './generic.js';
import { validatePackage } from './package.js';
import { parseParameters } from './parameters.js';
import { checkReferences } from './references.js';
import { validateSession } from './session.js';
import { ALL_PLATFORMS, describeValue, fail, invalidDocument, invalidSchemaVersion, isObject, list, show, type Obj, type Platform } from './shared.js';

export { convertContent, parseContent } from './format.js';

export type DocumentType =
  | 'Command'
  | 'Automation'
  | 'Session'
  | 'Package'
  | 'Policy'
  | 'ChangeCalendar'
  | 'ApplicationConfiguration'
  | 'ApplicationConfigurationSchema'
  | 'DeploymentStrategy'
  | 'ProblemAnalysis'
  | 'ProblemAnalysisTemplate'
  | 'CloudFormation'
  | 'ConformancePackTemplate'
  | 'QuickSetup'
  | 'AutoApprovalPolicy'
  | 'ManualApprovalPolicy'
  | 'ChangeTemplate';
export type DocumentFormat = 'JSON' | 'YAML' | 'TEXT';
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

export interface ValidatedDocument {
  /** The parsed JSON/YAML object, or the raw text of a ChangeCalendar. */
  content: unknown;
  schemaVersion: string | undefined;
  description: string | undefined;
  /** In declaration order. */
  parameters: ParameterDeclaration[];
  /** Derived as AWS does: from the plugins a Command/Policy document uses, from a Package's manifest; all three otherwise. */
  platformTypes: Platform[];
  stepNames: string[];
}

export const DOCUMENT_TYPES: readonly DocumentType[] = [
  'Command',
  'Automation',
  'Session',
  'Package',
  'Policy',
  'ChangeCalendar',
  'ApplicationConfiguration',
  'ApplicationConfigurationSchema',
  'DeploymentStrategy',
  'ProblemAnalysis',
  'ProblemAnalysisTemplate',
  'CloudFormation',
  'ConformancePackTemplate',
  'QuickSetup',
  'AutoApprovalPolicy',
  'ManualApprovalPolicy',
  'ChangeTemplate',
];

/** The schema versions each SSM-defined type accepts (Policy: "2.0 or later", which today means 2.0 and 2.2). */
export const SCHEMA_VERSIONS: Partial<Record<DocumentType, readonly string[]>> = {
  Command: ['1.2', '2.0', '2.2'],
  Policy: ['2.0', '2.2'],
  Automation: ['0.3'],
  Session: ['1.0'],
  Package: ['2.0'],
};

/**
 * Parses and validates a document of a type. Throws AwsError: InvalidDocumentContent naming the
 * step and the field at fault, InvalidDocumentSchemaVersion for a schema version the type does not
 * support, InvalidDocument for a format the type cannot be written in.
 */
export function validateDocument(input: { content: string; format: DocumentFormat; documentType: DocumentType }): ValidatedDocument {
  const { content, format, documentType: type } = input;
  if (!DOCUMENT_TYPES.includes(type)) throw invalidDocument(`Document type ${show(type)} is not supported; use one of ${list(DOCUMENT_TYPES)}.`);
  if (type === 'ChangeCalendar') {
    if (format !== 'TEXT') throw invalidDocument(`ChangeCalendar documents are iCalendar text and use the TEXT format, not ${format}.`);
    const calendar = validateCalendar(content);
    return { content, ...calendar, parameters: [], platformTypes: [...ALL_PLATFORMS], stepNames: [] };
  }
  if (format === 'TEXT') throw invalidDocument(`${type} documents are written in JSON or YAML; the TEXT format is only for ChangeCalendar documents.`);
  const doc = parseContent(content, format);
  if (!isObject(doc)) fail('', `the top level of the document must be an object, not ${describeValue(doc)}`);
  const result = validateParsed(doc, type);
  return { content: doc, ...result };
}

function validateParsed(doc: Obj, type: DocumentType): Omit<ValidatedDocument, 'content'> {
  if ((FREEFORM as readonly string[]).includes(type)) {
    const { description } = validateGeneric(doc, type as GenericType);
    return { schemaVersion: undefined, description, parameters: [], platformTypes: [...ALL_PLATFORMS], stepNames: [] };
  }
  const schemaVersion = readSchemaVersion(doc, type);
  const description = readDescription(doc);
  const parameters = type === 'Package' ? [] : parseParameters(doc.parameters);
  const declared = new Set(parameters.map((p) => p.name));
  let platformTypes: Platform[] = [...ALL_PLATFORMS];
  let stepNames: string[] = [];
  switch (type) {
    case 'Command':
    case 'Policy': {
      ({ stepNames, platformTypes } = validateCommand(doc, schemaVersion, parameters));
      checkReferences(doc, { kind: 'command', parameters: declared });
      break;
    }
    case 'Automation': {
      const runbook = validateAutomation(doc);
      stepNames = runbook.stepNames;
      checkReferences(doc, { kind: 'automation', parameters: declared, steps: new Set(stepNames), variables: runbook.variables });
      break;
    }
    case 'Session':
      validateSession(doc);
      checkReferences(doc, { kind: 'session', parameters: declared });
      break;
    case 'Package':
      platformTypes = validatePackage(doc);
      break;
    default:
      validateGeneric(doc, type as GenericType);
  }
  return { schemaVersion, description, parameters, platformTypes, stepNames };
}

function readSchemaVersion(doc: Obj, type: DocumentType): string {
  const supported = SCHEMA_VERSIONS[type];
  const value = doc.schemaVersion;
  const hint = supported ? ` (${type} documents use ${list(supported)})` : '';
  if (value === undefined) fail('', `schemaVersion is required${hint}`);
  if (typeof value !== 'string') fail('', `schemaVersion must be a string such as "${supported?.[0] ?? '1.0'}", not ${describeValue(value)}; in YAML, quote it`);
  if (supported && !supported.includes(value)) {
    throw invalidSchemaVersion(`schemaVersion ${value} is not supported for ${type} documents; use ${list(supported)}.`);
  }
  return value;
}

function readDescription(doc: Obj): string | undefined {
  if (doc.description === undefined) return undefined;
  if (typeof doc.description !== 'string') fail('', `description must be a string, not ${describeValue(doc.description)}`);
  return doc.description;
}
