/**
 * A fake Telegram Bot API: a real HTTP server on 127.0.0.1:0 that grammY talks to through `apiRoot`.
 * It records every call (method and parameters, JSON or multipart) and answers like Telegram:
 * `{ ok: true, result }`, or a scripted error (429 with retry_after, 403 blocked, ...).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One recorded Bot API call. Multipart file fields are recorded as `{ file, size, type }`. */
export interface RecordedCall {
  readonly method: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** A scripted answer: a result, or an error with Telegram's fields. */
export type FakeAnswer =
  | { readonly result: unknown }
  | { readonly errorCode: number; readonly description: string; readonly retryAfter?: number };

/** Decides the answer to a call; undefined falls back to the default answer. */
export type FakeResponder = (call: RecordedCall) => FakeAnswer | undefined;

/** The fake server's handle. */
export interface FakeBotApi {
  /** Use as KEYWARDEN_TELEGRAM_API_ROOT / grammY's client.apiRoot. */
  readonly apiRoot: string;
  readonly calls: RecordedCall[];
  /** Calls of one method, in order. */
  callsOf(method: string): RecordedCall[];
  /** Adds a responder consulted before the defaults (latest first). */
  respond(responder: FakeResponder): void;
  /** Forgets recorded calls and responders. */
  reset(): void;
  close(): Promise<void>;
}

/** The bot the fake says it is. */
export const FAKE_BOT_INFO = {
  id: 7_000_000_001,
  is_bot: true as const,
  first_name: 'Keywarden',
  username: 'keywarden_test_bot',
  can_join_groups: false,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
  supports_join_request_queries: false,
};

let messageId = 1000;

function defaultResult(call: RecordedCall): unknown {
  const chatId = Number(call.params['chat_id'] ?? 0);
  const message = (extra: Record<string, unknown>): unknown => {
    messageId += 1;
    return {
      message_id: messageId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: 'private' },
      ...extra,
    };
  };
  switch (call.method) {
    case 'getMe':
      return FAKE_BOT_INFO;
    case 'sendMessage':
      return message({ text: call.params['text'] });
    case 'sendPhoto':
      return message({ photo: [{ file_id: 'photo', file_unique_id: 'photo', width: 512, height: 512 }] });
    case 'sendInvoice':
      return message({
        invoice: {
          title: call.params['title'],
          description: call.params['description'],
          start_parameter: '',
          currency: call.params['currency'],
          total_amount: 0,
        },
      });
    case 'getUpdates':
      return [];
    case 'getStarTransactions':
      return { transactions: [] };
    default:
      return true;
  }
}

async function readParams(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks);
  const type = request.headers['content-type'] ?? '';
  if (body.length === 0) {
    return {};
  }
  const boundary = /boundary=("?)([^";]+)\1/.exec(type)?.[2];
  if (type.startsWith('multipart/form-data') && boundary !== undefined) {
    return parseMultipart(body, boundary);
  }
  return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
}

/** A minimal multipart/form-data reader: enough for grammY's uploads. */
function parseMultipart(body: Buffer, boundary: string): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length + 2; // skip CRLF after the delimiter
    const next = body.indexOf(delimiter, start);
    if (next === -1) {
      break;
    }
    const part = body.subarray(start, next - 2); // drop the CRLF before the next delimiter
    const split = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, split).toString('utf8');
    const content = part.subarray(split + 4);
    const name = /name="([^"]*)"/.exec(headers)?.[1];
    const filename =
      /filename="?([^";\r\n]*)/i.exec(headers)?.[1] ?? (/content-type:/i.test(headers) ? '' : undefined);
    if (name !== undefined) {
      params[name] =
        filename === undefined
          ? parseMaybeJson(content.toString('utf8'))
          : { file: filename, size: content.length, bytes: Buffer.from(content) };
    }
    at = next;
  }
  // grammY uploads files as separate parts referenced by `attach://<part name>`: resolve them.
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === 'string' && value.startsWith('attach://')) {
      params[name] = params[value.slice('attach://'.length)];
    }
  }
  return params;
}

function parseMaybeJson(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/** Starts the fake on 127.0.0.1 and a free port. */
export async function startFakeBotApi(): Promise<FakeBotApi> {
  const calls: RecordedCall[] = [];
  let responders: FakeResponder[] = [];
  const server: Server = createServer((request, response) => {
    void (async () => {
      const match = /^\/bot[^/]+\/([A-Za-z]+)$/.exec(request.url ?? '');
      if (!match?.[1]) {
        response.writeHead(404).end();
        return;
      }
      const call: RecordedCall = { method: match[1], params: await readParams(request) };
      if (call.method !== 'getUpdates') {
        calls.push(call);
      }
      let answer: FakeAnswer | undefined;
      for (const responder of [...responders].reverse()) {
        answer = responder(call);
        if (answer !== undefined) {
          break;
        }
      }
      if (call.method === 'getUpdates' && answer === undefined) {
        // Long polling: hold briefly like Telegram would, then return nothing.
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      answer ??= { result: defaultResult(call) };
      const body =
        'result' in answer
          ? { ok: true, result: answer.result }
          : {
              ok: false,
              error_code: answer.errorCode,
              description: answer.description,
              ...(answer.retryAfter === undefined ? {} : { parameters: { retry_after: answer.retryAfter } }),
            };
      response.writeHead('result' in answer ? 200 : answer.errorCode, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiRoot: `http://127.0.0.1:${port}`,
    calls,
    callsOf: (method) => calls.filter((call) => call.method === method),
    respond: (responder) => {
      responders.push(responder);
    },
    reset: () => {
      calls.length = 0;
      responders = [];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => {
          if (error) {
            reject(error);
          } else {
            resolve();
          }
        });
      }),
  };
}
