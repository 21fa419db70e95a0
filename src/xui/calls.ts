/**
 * Small helpers shared by the G1 and G2 implementations: send a call, insist on `success:true`, and
 * turn a parse failure into a PanelUnparseableError with an excerpt.
 */
import type { ParseError, Result } from '../domain/result.ts';
import type { PanelConnection } from '../reconciler/ports.ts';
import { PanelRefusedError, PanelUnparseableError, type PanelErrorContext } from './errors.ts';
import type { PanelHttp, RequestBody } from './http.ts';
import type { Envelope } from './wire.ts';

/** Encodes one path segment (emails may hold characters that are special in URLs). */
export const segment = (value: string | number): string => encodeURIComponent(String(value));

/** API calls of one panel. */
export class PanelCalls {
  readonly http: PanelHttp;
  readonly connection: PanelConnection;

  constructor(http: PanelHttp, connection: PanelConnection) {
    this.http = http;
    this.connection = connection;
  }

  context(op: string): PanelErrorContext {
    return { panelId: this.connection.id, panelName: this.connection.name, op };
  }

  /** GET or POST under `panel/api/`; a 404 counts as a lost session (§2.4). */
  async call(
    op: string,
    method: 'GET' | 'POST',
    path: string,
    signal: AbortSignal,
    body?: RequestBody,
  ): Promise<Envelope> {
    const answer = await this.http.api(
      { op, method, path: `panel/api/${path}`, ...(body === undefined ? {} : { body }) },
      signal,
    );
    if (answer.kind === 'not-found') {
      // Unreachable: `notFound` defaults to 'auth', so the session layer never answers 'not-found' here.
      throw new PanelRefusedError(this.context(op), 404, '');
    }
    return answer.envelope;
  }

  /** Like `call`, but a 404 means "this panel has no such route" and yields undefined. */
  async callIfExists(
    op: string,
    method: 'GET' | 'POST',
    path: string,
    signal: AbortSignal,
    body?: RequestBody,
  ): Promise<Envelope | undefined> {
    const answer = await this.http.api(
      { op, method, path: `panel/api/${path}`, notFound: 'answer', ...(body === undefined ? {} : { body }) },
      signal,
    );
    return answer.kind === 'not-found' ? undefined : answer.envelope;
  }

  /** Returns `obj` of a successful envelope, or throws PanelRefusedError with the panel's message. */
  succeed(op: string, envelope: Envelope): unknown {
    if (!envelope.success) {
      throw new PanelRefusedError(this.context(op), 200, envelope.msg);
    }
    return envelope.obj;
  }

  /** Unwraps a parse result, or throws PanelUnparseableError naming the path, with an excerpt. */
  parsed<T>(op: string, result: Result<T, ParseError>, obj: unknown): T {
    if (result.ok) {
      return result.value;
    }
    let excerpt: string;
    try {
      excerpt = JSON.stringify(obj).slice(0, 400);
    } catch {
      // obj came from JSON.parse, so this cannot really fail; keep the error useful anyway.
      excerpt = '(not serialisable)';
    }
    throw new PanelUnparseableError(this.context(op), 200, excerpt, result.error);
  }
}
