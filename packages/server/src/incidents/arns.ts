import { createHash, randomUUID } from 'node:crypto';

export const contactArn = (region: string, account: string, alias: string) => `arn:aws:ssm-contacts:${region}:${account}:contact/${alias}`;
export const channelArn = (region: string, account: string, alias: string) => `arn:aws:ssm-contacts:${region}:${account}:contact-channel/${alias}/${randomUUID()}`;
export const engagementArn = (region: string, account: string, alias: string) => `arn:aws:ssm-contacts:${region}:${account}:engagement/${alias}/${randomUUID()}`;
export const pageArn = (region: string, account: string, alias: string) => `arn:aws:ssm-contacts:${region}:${account}:page/${alias}/${randomUUID()}`;
// Incident Manager's ARNs name no region, as AWS forms them.
export const responsePlanArn = (account: string, name: string) => `arn:aws:ssm-incidents::${account}:response-plan/${name}`;
export const incidentArn = (account: string, planName: string) => `arn:aws:ssm-incidents::${account}:incident-record/${planName}/${randomUUID()}`;

/** The last segment of `…:contact/<alias>`. */
export const aliasOf = (contactArnText: string) => contactArnText.slice(contactArnText.lastIndexOf('/') + 1);

/** A UUID that is the same for the same inputs: idempotency tokens for work that may run twice. */
export function stableUuid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Epoch seconds, as both protocols put timestamps on the wire. */
export const seconds = (ms: number | null | undefined) => (ms === null || ms === undefined ? undefined : ms / 1000);

export function pageOf<T>(rows: readonly T[], token: string | undefined, max: number, scope: string, invalid: (m: string) => Error): { rows: T[]; NextToken?: string } {
  const bound = createHash('sha256').update(scope).digest('hex').slice(0, 12);
  let offset = 0;
  if (token) {
    const m = /^([0-9a-f]{12})\.(\d{1,9})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!m || m[1] !== bound) throw invalid('The NextToken is not valid for this request.');
    offset = Number(m[2]);
  }
  const end = offset + max;
  return { rows: rows.slice(offset, end), ...(rows.length > end ? { NextToken: Buffer.from(`${bound}.${end}`).toString('base64url') } : {}) };
}
