import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import { signWebhook, webhookSigningKey } from '../commands/index.js';
import type { IncidentNotifyConfig } from '../protocol/capability.js';
import type { Core } from '../protocol/context.js';

export interface Message {
  subject: string;
  text: string;
}

const TIMEOUT_MS = 10_000;

/** Sends pages and activation codes, and posts to chat channels. Failures throw, so the durable job that called retries. */
export class Delivery {
  private transport: Transporter | undefined;

  constructor(
    private readonly core: Core,
    private readonly config: IncidentNotifyConfig,
  ) {}

  async send(accountId: string, channelType: string, address: string, m: Message): Promise<string> {
    if (channelType === 'EMAIL') return this.email(address, m);
    const url = channelType === 'SMS' ? this.config.smsWebhookUrl : this.config.voiceWebhookUrl;
    if (!url) throw new Error(`no ${channelType} gateway is configured on this server (incidentNotifications.${channelType === 'SMS' ? 'smsWebhookUrl' : 'voiceWebhookUrl'})`);
    await this.webhook(accountId, url, { channel: channelType, to: address, subject: m.subject, message: m.text });
    return `posted to the ${channelType} gateway`;
  }

  /** A Slack-compatible incoming webhook: `{ "text": … }`, signed like every Capstan webhook. */
  async chat(accountId: string, url: string, text: string): Promise<void> {
    await this.webhook(accountId, url, { text });
  }

  private async email(to: string, m: Message): Promise<string> {
    const smtp = this.config.smtp;
    if (!smtp) throw new Error('no SMTP server is configured on this server (incidentNotifications.smtp)');
    this.transport ??= nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure ?? false,
      ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.pass ?? '' } } : {}),
      connectionTimeout: TIMEOUT_MS,
      greetingTimeout: TIMEOUT_MS,
      socketTimeout: TIMEOUT_MS,
    });
    const info = (await this.transport.sendMail({ from: smtp.from, to, subject: m.subject, text: m.text })) as { messageId?: string; response?: string };
    return info.response ?? info.messageId ?? 'accepted';
  }

  private async webhook(accountId: string, url: string, payload: Record<string, unknown>): Promise<void> {
    const body = JSON.stringify(payload);
    const timestamp = String(Math.floor(this.core.clock.now() / 1000));
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Capstan-Incidents/1',
        'x-capstan-timestamp': timestamp,
        'x-capstan-signature': signWebhook(webhookSigningKey(this.core.rootKey, accountId), timestamp, body),
      },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'manual',
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status >= 300) throw new Error(`${new URL(url).host} answered HTTP ${res.status}`);
  }

  close(): void {
    this.transport?.close();
  }
}
