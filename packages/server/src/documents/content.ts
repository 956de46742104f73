import { createHash } from 'node:crypto';
import { maxDocumentSizeExceeded } from './errors.js';
import { DOCUMENT_TYPES, validateDocument, type DocumentFormat, type DocumentType, type ParameterDeclaration, type ValidatedDocument } from './validation/index.js';

/** AWS's quota on a document's content, counted in bytes. */
export const MAX_CONTENT_BYTES = 64 * 1024;

export const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** `DocumentParameter` as DescribeDocument shows it. */
export interface DocumentParameter {
  Name: string;
  Type: string;
  Description?: string;
  DefaultValue?: string;
}

export interface CheckedContent {
  validated: ValidatedDocument;
  parameters: DocumentParameter[];
  hash: string;
}

/** Size first (cheap, and AWS's own order), then the validator, which throws AWS's content errors. */
export function checkContent(content: string, format: DocumentFormat, documentType: string): CheckedContent {
  const bytes = Buffer.byteLength(content, 'utf8');
  if (bytes > MAX_CONTENT_BYTES) {
    throw maxDocumentSizeExceeded(`The content of the document is ${bytes} bytes; a document can be at most ${MAX_CONTENT_BYTES} bytes (64 KB).`);
  }
  const validated = validateDocument({ content, format, documentType: validatorType(documentType) });
  return { validated, parameters: toDocumentParameters(validated.parameters), hash: sha256(content) };
}

/** The API's `Automation.ChangeTemplate` is the validator's `ChangeTemplate`. */
export function validatorType(type: string): DocumentType {
  if ((DOCUMENT_TYPES as readonly string[]).includes(type)) return type as DocumentType;
  return (type === 'Automation.ChangeTemplate' ? 'ChangeTemplate' : type) as DocumentType;
}

/** Defaults that are not text (lists, maps, numbers) travel as their JSON, as AWS shows them. */
export function toDocumentParameters(declarations: readonly ParameterDeclaration[]): DocumentParameter[] {
  return declarations.map((d) => {
    const out: DocumentParameter = { Name: d.name, Type: d.type };
    if (d.description !== undefined && d.description !== '') out.Description = d.description;
    if (d.default !== undefined) out.DefaultValue = typeof d.default === 'string' ? d.default : JSON.stringify(d.default);
    return out;
  });
}
