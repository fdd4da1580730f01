/**
 * A GraphQL subscription over Server-Sent Events (POST with Accept: text/event-stream), as a
 * browser or curl would hold it: the `data:` payloads as they arrive, and when the server ended
 * the stream.
 */
export interface EventStream {
  /** Each `data:` payload received, parsed, in order. */
  events: unknown[];
  /** Settles when the server ends the stream (not when close() aborts it), with when it did. */
  ended: Promise<{ at: number }>;
  /** Aborts the request and waits for the reader to stop. */
  close(): Promise<void>;
}

export async function openEventStream(
  graphqlUrl: string,
  key: string,
  query: string,
): Promise<EventStream> {
  const controller = new AbortController();
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      authorization: `Bearer ${key}`,
    },
    body: JSON.stringify({ query }),
    signal: controller.signal,
  });
  if (!/text\/event-stream/.test(response.headers.get('content-type') ?? '')) {
    throw new Error(`not an event stream: ${response.status} ${await response.text()}`);
  }
  const events: unknown[] = [];
  const reader = response.body?.getReader();
  const ended = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = (await reader?.read()) ?? { done: true };
      if (done) return { at: Date.now() };
      buffer += decoder.decode(value, { stream: true });
      for (const match of buffer.matchAll(/^data: (.+)$/gm)) {
        events.push(JSON.parse(match[1] as string));
      }
      buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
    }
  })();
  const reading = ended.catch(() => undefined);
  return {
    events,
    ended,
    close: async () => {
      controller.abort();
      await reading;
    },
  };
}
