/**
 * The webhook server's HTTP input and output: reading a request body within the size limit, parsing
 * it as JSON, and the JSON answer (`{error: {code, message}}` on failure) with its status class.
 */
import type { IncomingMessage } from 'node:http';
import type { StatusClass } from './observer.ts';

/** An answer to one request. */
export interface Answer {
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** Why, for the log line (no secrets). */
  readonly reason?: string;
}

/** A JSON error answer: `{error: {code, message}}`, the message also being the log line's reason. */
export const failure = (
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): Answer => ({
  status,
  body: { error: { code, message } },
  reason: message,
  ...(headers === undefined ? {} : { headers }),
});

/** The metric label of a status code. */
export const statusClass = (status: number): StatusClass =>
  status >= 500 ? '5xx' : status >= 400 ? '4xx' : '2xx';

/** The outcome of reading a request body. */
export type BodyRead =
  | { readonly kind: 'read'; readonly body: Buffer }
  | { readonly kind: 'too-large' }
  | { readonly kind: 'aborted' };

/** Reads the body up to `limit` bytes; stops reading (and says so) as soon as it is larger. */
export function readBody(request: IncomingMessage, limit: number): Promise<BodyRead> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.resolve({ kind: 'too-large' });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: BodyRead): void => {
      if (!settled) {
        settled = true;
        request.off('data', onData);
        resolve(result);
      }
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        settle({ kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => {
      settle({ kind: 'read', body: Buffer.concat(chunks, size) });
    });
    request.once('error', () => {
      settle({ kind: 'aborted' });
    });
    request.once('close', () => {
      settle({ kind: 'aborted' });
    });
  });
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Parses a JSON body; undefined when it is not valid UTF-8 JSON. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(UTF8.decode(body)) as unknown;
  } catch {
    // Not JSON: the caller answers 400; the parser's message would only echo the body back.
    return undefined;
  }
}
