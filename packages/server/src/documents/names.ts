import { invalidDocument, validation } from './errors.js';

/** Owner shown for the documents AWS publishes. */
export const AMAZON = 'Amazon';

export const documentArn = (region: string, owner: string, name: string) =>
  owner === AMAZON ? `arn:aws:ssm:${region}::document/${name}` : `arn:aws:ssm:${region}:${owner}:document/${name}`;

/**
 * Prefixes AWS keeps for its own documents. `SSM-` is not among them: AWS's own guides create
 * `SSM-SessionManagerRunShell` with CreateDocument in the customer's account.
 */
const RESERVED_PREFIXES = ['AWS-', 'Amazon', 'AmazonEC2', 'AmazonSSM', 'AWSEC2', 'AWSConfigRemediation', 'AWSSupport'];

export function checkNewName(name: string): void {
  const reserved = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (reserved) throw validation(`Invalid document name ${name}: the prefix ${reserved} is reserved for documents owned by AWS.`);
}

/** A document as a caller names it: a bare name (own or AWS's) or an ARN (any owner). */
export type DocumentRef = { kind: 'name'; name: string } | { kind: 'arn'; owner: string; name: string };

const ARN = /^arn:aws:ssm:([a-z0-9-]+):(\d{12})?:document\/([a-zA-Z0-9_\-.]{3,128})$/;

export function parseRef(given: string, region: string): DocumentRef {
  if (!given.startsWith('arn:')) return { kind: 'name', name: given };
  const m = ARN.exec(given);
  // Documents live in one region; an ARN of another region names nothing here.
  if (!m || m[1] !== region) throw invalidDocument();
  return { kind: 'arn', owner: m[2] ?? AMAZON, name: m[3]! };
}

/** Which version a call asks for: a number, `$LATEST`, `$DEFAULT`, and/or a version name. */
export interface VersionSelector {
  version?: string | undefined;
  versionName?: string | undefined;
}

export interface VersionPointers {
  latest: number;
  default: number;
}

/** The number `DocumentVersion` stands for; undefined when only a version name (or nothing) was given. */
export function versionNumber(selector: VersionSelector, pointers: VersionPointers): number | undefined {
  const v = selector.version;
  if (v === undefined) return selector.versionName === undefined ? pointers.default : undefined;
  if (v === '$LATEST') return pointers.latest;
  if (v === '$DEFAULT') return pointers.default;
  return Number(v);
}
