// Mail: SendGrid when a key is set, otherwise the console mailer (stderr and
// an outbox folder). Either way a failure becomes one clear sentence.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { Unavailable } from '../errors.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  readonly kind: 'email' | 'console';
  /** Sends the message; returns a sentence saying where it went. Throws Unavailable on failure. */
  send(message: MailMessage): Promise<string>;
  /** Describes what the mailer reaches, for test-connections, without sending anything. */
  describe(): Promise<string>;
}

export class ConsoleMailer implements Mailer {
  readonly kind = 'console' as const;
  constructor(
    private readonly outbox: string,
    private readonly from: string,
    private readonly write: (text: string) => void = (t) => process.stderr.write(t),
  ) {}

  async send(message: MailMessage): Promise<string> {
    const stamp = new Date().toISOString();
    const body = [
      `From: ${this.from}`,
      `To: ${message.to}`,
      `Date: ${stamp}`,
      `Subject: ${message.subject}`,
      '',
      message.text,
    ].join('\n');
    mkdirSync(this.outbox, { recursive: true, mode: 0o700 });
    chmodSync(this.outbox, 0o700);
    const file = join(this.outbox, `${stamp.replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}.txt`);
    writeFileSync(file, `${body}\n`, { mode: 0o600 });
    this.write(`\n----- monitors-mcp console mailer -----\n${body}\n----- end of message (saved to ${file}) -----\n`);
    return `No mail service is configured, so the message was written to the server's stderr log and to ${file}`;
  }

  async describe(): Promise<string> {
    return `console mailer (stderr and ${this.outbox})`;
  }
}

type MailService = import('@sendgrid/mail').MailService;

export class SendGridMailer implements Mailer {
  readonly kind = 'email' as const;
  private service: Promise<MailService> | undefined;

  constructor(private readonly config: Extract<Config['mail'], { kind: 'sendgrid' }>) {}

  private load(): Promise<MailService> {
    this.service ??= (async () => {
      const [{ default: mail }, { default: client }] = await Promise.all([import('@sendgrid/mail'), import('@sendgrid/client')]);
      // The mail singleton keeps its own client; build one, and set the base URL
      // after the key (setApiKey resets it).
      const Client = (client as unknown as { Client: new () => import('@sendgrid/client').Client }).Client;
      const c = new Client();
      c.setApiKey(this.config.apiKey);
      if (this.config.baseUrl) c.setDefaultRequest('baseUrl', this.config.baseUrl);
      c.setDefaultRequest('timeout' as 'baseUrl', 10_000 as unknown as string);
      const MailServiceClass = (mail as unknown as { MailService: new () => MailService }).MailService;
      const service = new MailServiceClass();
      service.setClient(c);
      return service;
    })();
    return this.service;
  }

  async send(message: MailMessage): Promise<string> {
    const service = await this.load();
    try {
      await service.send({
        to: message.to,
        from: this.config.from,
        subject: message.subject,
        text: message.text,
        html: message.html,
        trackingSettings: { clickTracking: { enable: false, enableText: false } },
      });
    } catch (err) {
      throw describeSendGridFailure(err);
    }
    return `The message was sent to ${message.to}`;
  }

  async describe(): Promise<string> {
    return `SendGrid at ${this.config.baseUrl ?? 'https://api.sendgrid.com'} (from ${this.config.from})`;
  }
}

export function describeSendGridFailure(err: unknown): Unavailable {
  const e = err as { code?: unknown; response?: { body?: { errors?: { message?: string }[] } } };
  if (typeof e.code === 'number') {
    const detail = e.response?.body?.errors?.[0]?.message;
    const said = detail ? `: "${String(detail).slice(0, 200)}"` : '';
    if (e.code === 401) {
      return new Unavailable(
        `The mail service refused the API key (SendGrid HTTP 401${said}); the operator must check SENDGRID_API_KEY.`,
      );
    }
    if (e.code === 403) {
      return new Unavailable(
        `The mail service refused to send (SendGrid HTTP 403${said}); the operator must check MAIL_FROM is a verified sender.`,
      );
    }
    if (e.code === 429) {
      return new Unavailable('The mail service is rate-limiting us (SendGrid HTTP 429); try again in a few minutes.');
    }
    if (e.code >= 500) {
      return new Unavailable(
        `The mail service is failing (SendGrid HTTP ${e.code}); no code was sent, try again in a few minutes.`,
      );
    }
    return new Unavailable(`The mail service rejected the message (SendGrid HTTP ${e.code}${said}).`);
  }
  const code = typeof e.code === 'string' ? e.code : 'network error';
  return new Unavailable(`The mail service could not be reached (${code}); no code was sent, try again in a few minutes.`);
}

export function createMailer(config: Config): Mailer {
  return config.mail.kind === 'sendgrid'
    ? new SendGridMailer(config.mail)
    : new ConsoleMailer(config.mail.outbox, config.mail.from);
}
