import { desc, lt } from 'drizzle-orm';
import type { RequestContext } from '../../context.ts';
import { type EmailOutboxRow, emailOutbox } from '../../db/schema.ts';
import {
  type Connection,
  decodeCursor,
  type PageArgs,
  toConnection,
} from '../common/pagination.ts';

/** Every alert e-mail, newest first (ADMIN). */
export async function listOutboxEmails(
  ctx: RequestContext,
  page: PageArgs,
): Promise<Connection<EmailOutboxRow>> {
  const rows = await ctx.db
    .select()
    .from(emailOutbox)
    .where(page.after ? lt(emailOutbox.id, decodeCursor(page.after)) : undefined)
    .orderBy(desc(emailOutbox.id))
    .limit(page.first + 1);
  return toConnection(rows, page, (row) => row.id);
}
