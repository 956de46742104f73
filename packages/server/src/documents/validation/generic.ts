import type { DocumentType } from './index.js';
import { describeValue, fail, isObject, type Obj } from './shared.js';

/** Types whose content another service defines; we check only what makes them readable at all. */
export type GenericType = Exclude<DocumentType, 'Command' | 'Policy' | 'Automation' | 'Session' | 'Package' | 'ChangeCalendar'>;

/** Types whose content is someone else's data: no SSM envelope (schemaVersion, parameters) to expect. */
export const FREEFORM: readonly GenericType[] = ['ApplicationConfiguration', 'ApplicationConfigurationSchema', 'CloudFormation', 'ConformancePackTemplate'];

/**
 * AppConfig configurations are any object; their schemas are JSON Schema objects. CloudFormation
 * and conformance pack templates are templates, which must declare Resources. The remaining
 * types carry an SSM `schemaVersion`, checked by the caller.
 */
export function validateGeneric(doc: Obj, type: GenericType): { description: string | undefined } {
  if (type === 'ApplicationConfigurationSchema') {
    if (doc.$schema !== undefined && typeof doc.$schema !== 'string') fail('', `$schema must be a string (the JSON Schema dialect's URI), not ${describeValue(doc.$schema)}`);
    const t = doc.type;
    if (t !== undefined && typeof t !== 'string' && !(Array.isArray(t) && t.every((x) => typeof x === 'string'))) fail('', `type must be a JSON Schema type name or a list of them, not ${describeValue(t)}`);
    return { description: typeof doc.description === 'string' ? doc.description : undefined };
  }
  if (type === 'CloudFormation' || type === 'ConformancePackTemplate') {
    if (doc.Resources === undefined) fail('', 'Resources is required in a template');
    if (!isObject(doc.Resources) || Object.keys(doc.Resources).length === 0) fail('', `Resources must be an object with at least one resource, not ${describeValue(doc.Resources)}`);
    if (doc.Description !== undefined && typeof doc.Description !== 'string') fail('', `Description must be a string, not ${describeValue(doc.Description)}`);
    return { description: doc.Description as string | undefined };
  }
  if (type === 'ApplicationConfiguration') return { description: undefined };
  if (doc.description !== undefined && typeof doc.description !== 'string') fail('', `description must be a string, not ${describeValue(doc.description)}`);
  return { description: doc.description as string | undefined };
}
