import type { Core } from '../protocol/context.js';
import { ServiceSlot } from '../protocol/capability.js';
import { Aliases } from './aliases.js';
import { Envelope } from './envelope.js';
import { DELETE_JOB, KeyLifecycle, ROTATE_JOB, type Tags } from './lifecycle.js';
import { arnOf, Keyring } from './keyring.js';
import type { KeyRow } from './tables.js';

export interface KeyMetadataView {
  keyId: string;
  arn: string;
  state: 'Enabled' | 'Disabled' | 'PendingDeletion' | 'PendingImport' | 'Unavailable';
  manager: 'AWS' | 'CUSTOMER';
  description: string;
}

/** What other capabilities (Parameter Store) use: envelope encryption under keys of one account and region. */
export interface KmsService {
  /** KeyId as key id, key ARN, alias name or alias ARN; creates `alias/aws/ssm` on first use. NotFoundException when absent; state unchecked. */
  describe(account: string, region: string, keyId: string): Promise<KeyMetadataView>;
  /** A fresh 32-byte data key and its blob under the key, bound to `context`. */
  generateDataKey(account: string, region: string, keyId: string, context: Record<string, string>): Promise<{ plaintext: Buffer; ciphertextBlob: Buffer; keyArn: string }>;
  encrypt(account: string, region: string, keyId: string, plaintext: Buffer, context: Record<string, string>): Promise<{ ciphertextBlob: Buffer; keyArn: string }>;
  /** A blob of this account and region (its key read from the blob); InvalidCiphertextException when blob or context do not match. */
  decrypt(account: string, region: string, blob: Buffer, context: Record<string, string>): Promise<{ plaintext: Buffer; keyArn: string }>;
  /** The key ARN a blob was made under, without decrypting; undefined if it is not a blob of ours. */
  keyArnOfBlob(account: string, region: string, blob: Buffer): string | undefined;
}

/**
 * The KMS capability's service: the parts the API operations use, and the narrow interface other
 * capabilities get. Other capabilities act as the owning AWS service does on AWS managed keys:
 * they may use `alias/aws/ssm`, which callers of the KMS API itself may only read.
 */
export class KmsServiceImpl implements KmsService {
  readonly keyring: Keyring;
  readonly lifecycle: KeyLifecycle;
  readonly aliases: Aliases;
  readonly envelope: Envelope;

  constructor(core: Core) {
    this.keyring = new Keyring(core);
    this.lifecycle = new KeyLifecycle(this.keyring);
    this.aliases = new Aliases(this.keyring, this.lifecycle);
    this.envelope = new Envelope(this.keyring);
  }

  registerJobs(core: Core): void {
    core.scheduler.handle(DELETE_JOB, (job) => this.lifecycle.runDeletion(job));
    core.scheduler.handle(ROTATE_JOB, (job) => this.lifecycle.runRotation(job));
    core.resourceTags.register('kms', 'key', async (arn, account, region) => {
      const key = await this.keyring.find(account, region, arn, { aliases: false }).catch(() => undefined);
      return key ? (JSON.parse(key.tags) as Tags) : undefined;
    });
  }

  /** A key by any KeyId form, creating the SSM managed key when that is what is named. */
  async resolve(account: string, region: string, keyId: string): Promise<KeyRow> {
    await this.aliases.ensureManaged(account, region, keyId);
    return this.keyring.find(account, region, keyId, { aliases: true });
  }

  async describe(account: string, region: string, keyId: string): Promise<KeyMetadataView> {
    const key = await this.resolve(account, region, keyId);
    return { keyId: key.key_id, arn: arnOf(key), state: key.state, manager: key.manager, description: key.description };
  }

  async generateDataKey(account: string, region: string, keyId: string, context: Record<string, string>) {
    const out = await this.envelope.generateDataKey(await this.resolve(account, region, keyId), 32, context);
    return { plaintext: out.plaintext, ciphertextBlob: out.ciphertextBlob, keyArn: out.keyArn };
  }

  async encrypt(account: string, region: string, keyId: string, plaintext: Buffer, context: Record<string, string>) {
    const out = await this.envelope.encrypt(await this.resolve(account, region, keyId), plaintext, context);
    return { ciphertextBlob: out.ciphertextBlob, keyArn: out.keyArn };
  }

  async decrypt(account: string, region: string, blob: Buffer, context: Record<string, string>) {
    const out = await this.envelope.decrypt(account, region, blob, context);
    return { plaintext: out.plaintext, keyArn: out.keyArn };
  }

  keyArnOfBlob(account: string, region: string, blob: Buffer): string | undefined {
    return this.envelope.keyArnOf(account, region, blob);
  }
}

/** One service per server; other capabilities reach it through `kmsService(core)` in index.ts. */
export const kmsSlot = new ServiceSlot<KmsServiceImpl>('kms');
