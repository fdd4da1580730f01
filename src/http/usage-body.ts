import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { JSONParser } from '@streamparser/json';
import { BodyTooLargeError } from './body.ts';

export class TooManyEventsError extends Error {
  constructor(limit: number) {
    super(`At most ${limit} events per request; nothing was stored`);
    this.name = 'TooManyEventsError';
  }
}

export class UnparseableBodyError extends Error {}

/**
 * Reads the events of a POST /v1/usage body as it streams in: a JSON array, or NDJSON (one event
 * per line). Each event is parsed on its own as its bytes arrive, and reading stops at the first
 * event past `maxEvents` or byte past `maxBytes`, so that a 32 MiB body of `{}` costs what its
 * first 10,001 events cost, never the whole body held as millions of objects.
 */
export async function readUsageEvents(
  req: IncomingMessage,
  limits: { maxBytes: number; maxEvents: number; ndjson: boolean },
): Promise<unknown[]> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > limits.maxBytes) throw new BodyTooLargeError(limits.maxBytes);
  const events: unknown[] = [];
  const take = (event: unknown) => {
    if (events.length === limits.maxEvents) throw new TooManyEventsError(limits.maxEvents);
    events.push(event);
  };
  const reader = limits.ndjson ? ndjsonReader(take) : jsonArrayReader(take);
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limits.maxBytes) throw new BodyTooLargeError(limits.maxBytes);
    reader.write(chunk as Buffer);
  }
  reader.end();
  return events;
}

interface EventReader {
  write(chunk: Buffer): void;
  end(): void;
}

function jsonArrayReader(take: (event: unknown) => void): EventReader {
  const parser = new JSONParser({ paths: ['$.*'], keepStack: false });
  let started = false;
  parser.onValue = ({ value, key }) => {
    if (typeof key !== 'number') {
      throw new UnparseableBodyError('The body must be a JSON array of events or NDJSON');
    }
    take(value);
  };
  const parse = (work: () => void) => {
    try {
      work();
    } catch (error) {
      if (error instanceof TooManyEventsError || error instanceof UnparseableBodyError) throw error;
      throw new UnparseableBodyError(
        `The body is not valid JSON: ${(error as Error).message}; nothing was stored`,
      );
    }
  };
  return {
    write(chunk) {
      if (!started) {
        const text = chunk.toString('utf8').trimStart();
        if (text === '') return;
        if (!text.startsWith('[')) {
          throw new UnparseableBodyError('The body must be a JSON array of events or NDJSON');
        }
        started = true;
      }
      parse(() => parser.write(chunk));
    },
    end() {
      if (!started) throw new UnparseableBodyError('The body holds no events');
      parse(() => {
        // The parser ends by itself once the array closes; only an unfinished one is ended here.
        if (!parser.isEnded) parser.end();
      });
    },
  };
}

function ndjsonReader(take: (event: unknown) => void): EventReader {
  // A character may be split between two chunks: the decoder keeps its first bytes.
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let line = 0;
  const parseLine = (text: string) => {
    line++;
    if (text.trim() === '') return;
    try {
      take(JSON.parse(text));
    } catch (error) {
      if (error instanceof TooManyEventsError) throw error;
      throw new UnparseableBodyError(`Line ${line} is not valid JSON; nothing was stored`);
    }
  };
  return {
    write(chunk) {
      const lines = (rest + decoder.write(chunk)).split('\n');
      rest = lines.pop() ?? '';
      for (const text of lines) parseLine(text);
    },
    end() {
      parseLine(rest + decoder.end());
    },
  };
}
