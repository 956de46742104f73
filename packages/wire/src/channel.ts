import { sign, type KeyObject } from 'node:crypto';

/**
 * The bytes an agent signs to answer the control channel's challenge: the server's nonce, then
 * the instance id, so an answer is good for one connection of one node only.
 */
export function challengeBytes(nonce: Buffer, instanceId: string): Buffer {
  return Buffer.concat([nonce, Buffer.from(instanceId, 'utf8')]);
}

/** The signature (base64) an agent sends in its hello for a challenge's base64 nonce. */
export function answerChallenge(nonceBase64: string, instanceId: string, privateKey: KeyObject): string {
  return sign(null, challengeBytes(Buffer.from(nonceBase64, 'base64'), instanceId), privateKey).toString('base64');
}

/** What an agent tells about its node in the hello, stored on the node's row (docs/agent-protocol.md). */
export interface HelloInfo {
  agentVersion: string;
  platformType: 'Linux' | 'Windows' | 'MacOS';
  platformName: string;
  platformVersion: string;
  kernel?: string;
  hostname: string;
  ipAddress: string;
  architecture: string;
  /** The last failure the agent saw while it could not reach the server (epoch ms). */
  lastError?: { message: string; at: number };
  /**
   * When the node booted: epoch ms, whole seconds. It is the same for every hello of one boot
   * (reconnects, agent restarts), so the server can tell a reboot from a reconnect. Older agents
   * leave it out, and the server then sees no boots.
   */
  bootTime?: number;
  /** The node's owner wants its State Manager associations applied after every boot. */
  applyAssociationsOnBoot?: boolean;
}

/** Agent → server: the answer to the channel's challenge. */
export interface HelloMessage {
  type: 'hello';
  instanceId: string;
  /** base64 Ed25519 signature of challengeBytes(nonce, instanceId). */
  signature: string;
  /** Absent in a probe. */
  info?: HelloInfo;
  /** `capstan agent diagnose`: prove the identity without taking over the channel. */
  probe?: boolean;
}
