import fc from 'fast-check';
import { plausible, unwrap } from '../bad-input/mutations.js';

/**
 * Builds an input each operation's schema ACCEPTS, so a call gets past validation and reaches
 * the authorizer. Starts from the bad-input suite's plausible value, fills patterned strings with
 * strings generated from the pattern, then repairs what the schema still refuses, member by
 * member, from a pool of values shaped like the identifiers Capstan's operations take.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Schema = any;
type Path = (string | number)[];

const ACCOUNT = '111122223333';
const UUID = '0a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d';

/** Strings shaped like the names, ids and ARNs the operations take. */
export const STRING_POOL: readonly string[] = [
  'a', 'capstan-sec', 'Name1', '/capstan-sec/a', 'a/b', 'us-east-1', ACCOUNT, UUID, '1',
  'i-0123456789abcdef0', 'mi-0123456789abcdef0', 'mw-0123456789abcdef0', 'pb-0123456789abcdef0',
  'oi-0123456789ab', 'ssm-0123456789abcdef0', 'sec-0123456789abcdef0', 'AWS-RunShellScript', 'AWS-RunPatchBaseline',
  'AWS-UpdateSSMAgent', 'AWS-StartInteractiveCommand', 'AWS-ChangeCalendar',
  'cron(0 0 * * ? *)', 'rate(1 day)', 'at(2030-01-01T00:00:00)', 'https://example.com/hook', 'a@example.com', '+15555550100',
  '2030-01-01T00:00:00Z', 'alias/capstan-sec', 'YQ==', 'AKIAAAAAAAAAAAAAAAAA', 'AWS_EC2', 'WINDOWS', 'Linux', 'Windows', 'AMAZON_LINUX_2', 'Command',
  '{}', '{"schemaVersion":"2.2","mainSteps":[]}', '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}',
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
  '{"source":["aws.ssm"]}', 'Custom:Capstan', 'AWS:Application', '$LATEST', 'Passw0rd!Passw0rd!', 'p1',
  `arn:aws:ssm:us-east-1:${ACCOUNT}:document/a`, `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/a`, `arn:aws:ssm:us-east-1:${ACCOUNT}:opsitem/oi-0123456789ab`,
  `arn:aws:iam::${ACCOUNT}:role/a`, `arn:aws:iam::${ACCOUNT}:user/a`, `arn:aws:iam::${ACCOUNT}:policy/a`,
  `arn:aws:kms:us-east-1:${ACCOUNT}:key/${UUID}`, `arn:aws:events:us-east-1:${ACCOUNT}:rule/a`, `arn:aws:events:us-east-1:${ACCOUNT}:connection/a/${UUID}`,
  `arn:aws:resource-groups:us-east-1:${ACCOUNT}:group/a`, `arn:aws:ssm-contacts:us-east-1:${ACCOUNT}:contact/a`,
  `arn:aws:ssm-contacts:us-east-1:${ACCOUNT}:contact-channel/a/${UUID}`, `arn:aws:ssm-contacts:us-east-1:${ACCOUNT}:engagement/a/${UUID}`,
  `arn:aws:ssm-contacts:us-east-1:${ACCOUNT}:page/a/${UUID}`, `arn:aws:ssm-contacts:us-east-1:${ACCOUNT}:rotation/${UUID}`,
  `arn:aws:ssm-incidents::${ACCOUNT}:response-plan/a`, `arn:aws:ssm-incidents::${ACCOUNT}:incident-record/a/${UUID}`,
  `arn:aws:ssm-incidents::${ACCOUNT}:replication-set/${UUID}`, `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0123456789abcdef0`,
];
const NUMBER_POOL: readonly unknown[] = [1, 0, 60, 3600, 1_900_000_000, 100];
const OTHER_POOL: readonly unknown[] = [true, false, [], {}, ['a'], [{}], { a: 'a' }, ['i-0123456789abcdef0'], [{ Key: 'a', Values: ['a'] }], [{ Key: 'InstanceIds', Values: ['i-0123456789abcdef0'] }]];

function patternOf(s: Schema): { pattern?: RegExp; min: number; max: number } {
  const out: { pattern?: RegExp; min: number; max: number } = { min: 0, max: 200 };
  for (const c of (s._zod.def.checks ?? []) as Schema[]) {
    const d = c._zod.def;
    if (d.check === 'min_length') out.min = d.minimum;
    else if (d.check === 'max_length') out.max = Math.min(out.max, d.maximum);
    else if (d.check === 'length_equals') out.min = out.max = d.length;
    else if (d.check === 'string_format' && d.pattern) out.pattern = d.pattern;
  }
  return out;
}

/** A string the pattern matches, within the length bounds; undefined when none comes up. */
function fromPattern(s: Schema, seed: number): string | undefined {
  const b = patternOf(s);
  if (!b.pattern) return undefined;
  const fits = (x: string) => x.length >= Math.max(b.min, 1) && x.length <= b.max && b.pattern!.test(x);
  const known = STRING_POOL.find(fits);
  if (known !== undefined) return known;
  try {
    return fc.sample(fc.stringMatching(b.pattern, { size: 'small' }), { seed, numRuns: 60 }).find(fits);
  } catch {
    // fast-check cannot generate from every pattern (lookaheads); the repair pass takes over.
    return undefined;
  }
}

/** The plausible value with every patterned string replaced by one that matches. */
function withPatterns(s: Schema, value: unknown, seed: number, depth = 0): unknown {
  if (depth > 6) return value;
  const u = unwrap(s);
  const d = u._zod.def;
  if (d.type === 'string' && typeof value === 'string') return fromPattern(u, seed) ?? value;
  if (d.type === 'object' && value && typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = d.shape[k] ? withPatterns(d.shape[k], v, seed, depth + 1) : v;
    return out;
  }
  if (d.type === 'array' && Array.isArray(value)) return value.map((v) => withPatterns(d.element, v, seed, depth + 1));
  return value;
}

function issuesOf(schema: Schema, value: unknown): { path: Path }[] | undefined {
  try {
    const r = schema.safeParse(value);
    return r.success ? undefined : (r.error.issues as { path: Path }[]);
  } catch {
    return [{ path: [] }];
  }
}

function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let cur: Record<string | number, unknown> = copy;
  for (const seg of path.slice(0, -1)) {
    if (cur[seg] === null || typeof cur[seg] !== 'object') cur[seg] = typeof seg === 'number' ? [] : {};
    cur = cur[seg] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) {
    if (Array.isArray(cur)) cur.splice(Number(last), 1);
    else delete cur[last];
  } else cur[last] = value;
  return copy;
}

const under = (path: Path, prefix: Path) => prefix.every((p, i) => path[i] === p);

/**
 * An input the schema accepts, or undefined. Repairs one refused member at a time with the first
 * candidate that lowers the number of refusals (dropping an optional member is a candidate too).
 */
export function validInput(schema: Schema, seed = 20261126): unknown {
  let value: unknown = withPatterns(schema, plausible(schema) ?? {}, seed);
  const candidates = [undefined, ...STRING_POOL, ...NUMBER_POOL, ...OTHER_POOL];
  for (let round = 0; round < 40; round++) {
    const issues = issuesOf(schema, value);
    if (!issues) return value;
    let improved = false;
    for (const issue of issues) {
      // Try the member itself, then each enclosing member (an object-level refinement names its parent).
      for (let cut = issue.path.length; cut >= 0 && !improved; cut--) {
        const path = issue.path.slice(0, cut);
        const before = issues.length;
        const atPath = issues.filter((i) => under(i.path, path)).length;
        for (const c of candidates) {
          if (path.length === 0 && c === undefined) continue;
          const next = setAt(value, path, c);
          const after = issuesOf(schema, next);
          if (!after) return next;
          if (after.length < before && after.filter((i) => under(i.path, path)).length < atPath) {
            value = next;
            improved = true;
            break;
          }
        }
      }
      if (improved) break;
    }
    if (!improved) return undefined;
  }
  return issuesOf(schema, value) ? undefined : value;
}
