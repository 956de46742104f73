// How every executing capability (commands, associations, automation, sessions, maintenance
// windows) turns a document and the caller's parameters into what runs:
//
//   const { values, secret } = await prepareParameters(call, declarations, supplied);
//   const runnable = interpolate(parsedContent, values);     // to the node / the engine only
//   const shown = redactSecrets(values, secret);             // for records and responses
//
// Store the supplied parameters (they hold only `{{ssm-secure:…}}` references), never `values`.
export { bindParameters } from './bind.js';
export { resolveReferences, prepareParameters } from './references.js';
export { interpolate } from './interpolate.js';
export { redactSecrets, scrubSecrets, MASK } from './redact.js';
export { invalidParameters } from './types.js';
export type { ParameterDeclaration, ParameterType, ResolvedParameters, ResolvedValue, SuppliedParameters } from './types.js';
