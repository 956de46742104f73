import { MalformedPolicyDocumentError, parsePolicyDocument } from '../iam/policy/index.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const isObject = (v: Json | undefined): v is { [key: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);

const PRINCIPAL_KINDS = new Set(['AWS', 'Service', 'Federated', 'CanonicalUser']);
const AWS_PRINCIPAL = /^(\*|\d{12}|arn:aws(-cn|-us-gov)?:(iam|sts)::\d{12}:\S+)$/;

function checkPrincipal(value: Json | undefined, where: string, fail: (m: string) => never): void {
  if (value === '*') return;
  if (!isObject(value) || Object.keys(value).length === 0) fail(`${where}: Principal must be "*" or an object such as {"AWS": "arn:aws:iam::111122223333:root"}.`);
  for (const [kind, names] of Object.entries(value)) {
    if (!PRINCIPAL_KINDS.has(kind)) fail(`${where}: Principal names an unknown kind ${kind} (AWS, Service, Federated or CanonicalUser).`);
    const list = Array.isArray(names) ? names : [names];
    if (list.length === 0) fail(`${where}: Principal.${kind} names nobody.`);
    for (const n of list) {
      if (typeof n !== 'string' || n === '') fail(`${where}: Principal.${kind} must be a string or a list of strings.`);
      if (kind === 'AWS' && !AWS_PRINCIPAL.test(n)) fail(`${where}: Principal.AWS ${n} is not an account id, an IAM ARN or "*".`);
    }
  }
}

/**
 * Checks a resource policy as Incident Manager accepts one: an IAM policy document whose every
 * statement names a Principal and whose actions are the service's own (`ssm-contacts:…`).
 * The rest of the grammar (Effect, Action, Resource, Condition) is IAM's, read by IAM's parser.
 */
export function checkResourcePolicy(text: string, service: 'ssm-contacts' | 'ssm-incidents', invalid: (m: string) => Error): void {
  const fail = (m: string): never => {
    throw invalid(m);
  };
  let root: Json;
  try {
    root = JSON.parse(text) as Json;
  } catch (e) {
    return fail(`The policy is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(root)) return fail('The policy must be a JSON object with a Statement.');
  const statements = Array.isArray(root.Statement) ? root.Statement : root.Statement === undefined ? [] : [root.Statement];
  if (statements.length === 0) fail('The policy must contain at least one Statement.');
  const withoutPrincipals = statements.map((st, i) => {
    const where = `Statement ${i + 1}`;
    if (!isObject(st)) return fail(`${where}: a statement must be a JSON object.`);
    if (st.NotPrincipal !== undefined) fail(`${where}: NotPrincipal is not supported in a resource policy here; name the Principal.`);
    checkPrincipal(st.Principal, where, fail);
    const { Principal: _p, ...rest } = st;
    return rest;
  });
  let doc;
  try {
    doc = parsePolicyDocument(JSON.stringify({ ...root, Statement: withoutPrincipals }), { maxSize: Number.MAX_SAFE_INTEGER });
  } catch (e) {
    if (e instanceof MalformedPolicyDocumentError) return fail(e.message);
    throw e;
  }
  for (const [i, st] of doc.Statement.entries()) {
    for (const a of [...(st.Action ?? []), ...(st.NotAction ?? [])]) {
      if (a !== '*' && !a.toLowerCase().startsWith(`${service}:`)) fail(`Statement ${i + 1}: action ${a} is not an ${service} action.`);
    }
  }
}
