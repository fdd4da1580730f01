import { and, eq, sql } from 'drizzle-orm';
import { createTransport, type Transporter } from 'nodemailer';
import type { Services } from '../../context.ts';
import { emailOutbox } from '../../db/schema.ts';
import type { Logger } from '../../logger.ts';
import { RetryLater } from './webhook-delivery.ts';

const transports = new Map<string, Transporter>();

function transportFor(smtpUrl: string): Transporter {
  let transport = transports.get(smtpUrl);
  if (!transport) {
    transport = createTransport(smtpUrl);
    transports.set(smtpUrl, transport);
  }
  return transport;
}

/** One attempt to send an outbox e-mail through SMTP_URL; retried like webhooks. */
export async function attemptAlertEmail(
  services: Pick<Services, 'db' | 'config' | 'now'>,
  log: Logger,
  emailId: string,
): Promise<'sent' | 'failed' | 'skipped'> {
  const { db, config } = services;
  const smtpUrl = config.alerts.smtpUrl;
  if (!smtpUrl) return 'skipped';
  const [email] = await db
    .update(emailOutbox)
    .set({ attempts: sql`${emailOutbox.attempts} + 1` })
    .where(and(eq(emailOutbox.id, emailId), eq(emailOutbox.status, 'PENDING')))
    .returning();
  if (!email) return 'skipped';
  try {
    await transportFor(smtpUrl).sendMail({
      from: config.alerts.emailFrom,
      to: email.recipient,
      subject: email.subject,
      text: email.body,
    });
  } catch (error) {
    if (email.attempts >= config.alerts.maxAttempts) {
      await db.update(emailOutbox).set({ status: 'FAILED' }).where(eq(emailOutbox.id, email.id));
      log.warn({ emailId: email.id, err: error }, 'alert e-mail failed: no attempts left');
      return 'failed';
    }
    throw new RetryLater(`alert e-mail ${email.id}: ${(error as Error).message}`);
  }
  await db
    .update(emailOutbox)
    .set({ status: 'SENT', sentAt: services.now() })
    .where(eq(emailOutbox.id, email.id));
  log.info({ emailId: email.id }, 'alert e-mail sent');
  return 'sent';
}
