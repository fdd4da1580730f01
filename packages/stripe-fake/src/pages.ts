import type { IncomingMessage, ServerResponse } from 'node:http';
import type { State } from './state.ts';

/**
 * Minimal hosted pages behind the URLs the fake hands out, so a developer clicking through the
 * app locally can finish a checkout: GET /checkout/:id shows a "Pay" button that completes it.
 */
export function servePage(
  state: State,
  complete: (sessionId: string) => void,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): boolean {
  const method = req.method ?? 'GET';
  const checkout = /^\/checkout\/([^/]+)(\/complete)?$/.exec(path);
  if (checkout) {
    const session = state.checkoutSessions.get(checkout[1] ?? '');
    if (!session) return notFound(res);
    if (method === 'POST' && checkout[2]) {
      if (session.status === 'open') complete(session.id);
      const target = session.success_url.replaceAll('{CHECKOUT_SESSION_ID}', session.id);
      res.writeHead(303, { Location: target }).end();
      return true;
    }
    return html(
      res,
      `<h1>Stripe fake checkout</h1><p>${escapeHtml(session.id)} (${session.status})</p>
<form method="post" action="/checkout/${encodeURIComponent(session.id)}/complete"><button>Pay</button></form>
<p><a href="${escapeHtml(session.cancel_url ?? '/')}">Cancel</a></p>`,
    );
  }
  const portal = /^\/portal\/([^/]+)$/.exec(path);
  if (portal) {
    const session = state.portalSessions.get(portal[1] ?? '');
    if (!session) return notFound(res);
    return html(
      res,
      `<h1>Stripe fake billing portal</h1><p>Customer ${escapeHtml(session.customer)}</p>
<p><a href="${escapeHtml(session.return_url ?? '/')}">Return</a></p>`,
    );
  }
  const invoice = /^\/invoices\/([^/]+?)(\/pdf)?$/.exec(path);
  if (invoice) {
    const found = state.invoices.get(invoice[1] ?? '');
    if (!found) return notFound(res);
    return html(
      res,
      `<h1>Invoice ${escapeHtml(found.number ?? found.id)}</h1><p>Status: ${found.status}</p>
<p>Total: ${found.total} ${escapeHtml(found.currency)}; due ${found.amount_due}; paid ${found.amount_paid}</p>`,
    );
  }
  return false;
}

function html(res: ServerResponse, body: string): true {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><meta charset="utf-8"><title>Stripe fake</title>${body}`);
  return true;
}

function notFound(res: ServerResponse): true {
  res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found');
  return true;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
