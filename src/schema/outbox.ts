import type { EmailOutboxRow } from '../db/schema.ts';
import { listOutboxEmails } from '../resolvers/alerts/email-outbox.ts';
import { pageArgsSchema } from '../resolvers/common/pagination.ts';
import { parseInput } from '../validation.ts';
import { builder } from './builder.ts';
import { connectionType } from './connections.ts';

const EmailStatusEnum = builder.enumType('EmailStatus', {
  values: {
    PENDING: { description: 'Being sent through SMTP_URL.' },
    SENT: {},
    FAILED: { description: 'No attempts left.' },
    STORED: { description: 'Kept here only: no SMTP_URL is configured.' },
  },
});

const OutboxEmailType = builder.objectRef<EmailOutboxRow>('OutboxEmail').implement({
  description: 'An alert e-mail, sent or (without SMTP_URL) only kept.',
  fields: (t) => ({
    id: t.exposeID('id'),
    organizationId: t.exposeID('organizationId'),
    recipient: t.exposeString('recipient'),
    subject: t.exposeString('subject'),
    body: t.exposeString('body'),
    status: t.field({ type: EmailStatusEnum, resolve: (e) => e.status }),
    attempts: t.exposeInt('attempts'),
    createdAt: t.field({ type: 'DateTime', resolve: (e) => e.createdAt }),
    sentAt: t.field({ type: 'DateTime', nullable: true, resolve: (e) => e.sentAt }),
  }),
});

builder.queryField('outboxEmails', (t) =>
  t.field({
    type: connectionType('OutboxEmail', OutboxEmailType),
    description: 'ADMIN only. Alert e-mails, newest first.',
    authScopes: { admin: true },
    args: { first: t.arg.int({ defaultValue: 20 }), after: t.arg.string() },
    resolve: (_root, args, ctx) => listOutboxEmails(ctx, parseInput(pageArgsSchema, args)),
  }),
);
