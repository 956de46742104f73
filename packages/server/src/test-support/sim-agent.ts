import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { answerChallenge, type HelloInfo, type JobMessage, type StepResult } from '@capstan/wire';
import WebSocket from 'ws';

/** What a simulated node does with a command: its steps' results, after an optional delay. */
export type Behaviour = (job: JobMessage) => { status: 'Success' | 'Failed' | 'TimedOut' | 'Cancelled'; steps: StepResult[]; output?: string; delayMs?: number } | 'hold';

export const okStep = (name = 'aws:runShellScript', stdout = ''): StepResult => ({ name, action: 'aws:runShellScript', status: 'Success', code: 0, startedAt: Date.now(), endedAt: Date.now(), stdout, stderr: '', stdoutBytes: Buffer.byteLength(stdout), stderrBytes: 0 });
export const failedStep = (name = 'aws:runShellScript', code = 1): StepResult => ({ ...okStep(name), status: 'Failed', code });

/**
 * A node that speaks the real control-channel protocol (Ed25519 registration, signed hello,
 * job acks, replies with acknowledgements) without running anything: for server tests that
 * need many nodes or exact control over what each one answers.
 */
export class SimulatedAgent {
  instanceId = '';
  ws: WebSocket | undefined;
  readonly jobs: JobMessage[] = [];
  readonly acked = new Set<string>();
  protected readonly key: KeyObject;
  private readonly publicKey: string;
  private replies = 0;
  behaviour: Behaviour = () => ({ status: 'Success', steps: [okStep()] });
  /** Reported in its hellos when set (epoch ms): a new value and a reconnect is a reboot. Unset, the hello has none, as from an older agent. */
  bootTime: number | undefined;
  /** Reported in the next hellos when set. */
  applyAssociationsOnBoot: boolean | undefined;

  constructor(
    protected readonly endpoint: string,
    private readonly hostname = 'sim',
  ) {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    this.key = privateKey;
    this.publicKey = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  }

  async register(activationId: string, activationCode: string): Promise<string> {
    const res = await fetch(`${this.endpoint}/capstan/agent/v1/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ activationId, activationCode, publicKey: this.publicKey, hostname: this.hostname }),
    });
    if (res.status !== 200) throw new Error(`registration failed: ${res.status} ${await res.text()}`);
    this.instanceId = ((await res.json()) as { instanceId: string }).instanceId;
    return this.instanceId;
  }

  /** Opens the control channel; `endpoint` (another replica) instead of the one registered with. */
  connect(endpoint = this.endpoint): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${endpoint.replace(/^http/, 'ws')}/capstan/agent/v1/channel`);
      this.ws = ws;
      ws.on('error', reject);
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString()) as { type: string; nonce?: string; replyId?: string };
        if (m.type === 'challenge') ws.send(JSON.stringify({ type: 'hello', instanceId: this.instanceId, signature: answerChallenge(m.nonce!, this.instanceId, this.key), info: this.helloInfo() }));
        else if (m.type === 'welcome') resolve();
        else if (m.type === 'job') this.onJob(m as unknown as JobMessage);
        else this.onMessage(m as Record<string, unknown>);
      });
    });
  }

  private helloInfo(): Partial<HelloInfo> {
    return {
      agentVersion: 'sim',
      platformType: 'Linux',
      platformName: 'Sim',
      platformVersion: '1',
      ...(this.bootTime !== undefined ? { bootTime: this.bootTime } : {}),
      ...(this.applyAssociationsOnBoot !== undefined ? { applyAssociationsOnBoot: this.applyAssociationsOnBoot } : {}),
    };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.ws || this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }

  /** Control-channel messages other than the challenge, welcome and jobs (subclasses: sessions). */
  protected onMessage(_m: Record<string, unknown>): void {}

  protected send(m: object): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m));
  }

  private onJob(job: JobMessage): void {
    this.jobs.push(job);
    const duplicate = this.acked.has(job.id);
    this.acked.add(job.id);
    this.send({ type: 'ack', id: job.id, status: duplicate ? 'duplicate' : 'accepted' });
    if (duplicate || job.kind !== 'command') return;
    const b = this.behaviour(job);
    if (b === 'hold') return;
    const finish = () => {
      if (b.output) this.send({ type: 'output', replyId: `r${++this.replies}-${this.instanceId}`, id: job.id, step: b.steps[0]!.name, stream: 'stdout', offset: 0, data: Buffer.from(b.output).toString('base64') });
      this.send({ type: 'reply', replyId: `r${++this.replies}-${this.instanceId}`, id: job.id, status: b.status, steps: b.steps });
    };
    if (b.delayMs) setTimeout(finish, b.delayMs);
    else finish();
  }

  /** Reports a held job's steps so far, the document still running. */
  progress(commandId: string, steps: StepResult[]): void {
    this.send({ type: 'reply', replyId: `r${++this.replies}-${this.instanceId}`, id: commandId, status: 'InProgress', steps });
  }

  /** Answers a held job later (or a cancel). */
  finish(commandId: string, status: 'Success' | 'Failed' | 'Cancelled', steps: StepResult[] = [status === 'Success' ? okStep() : failedStep()]): void {
    this.send({ type: 'reply', replyId: `r${++this.replies}-${this.instanceId}`, id: commandId, status, steps });
  }
}
