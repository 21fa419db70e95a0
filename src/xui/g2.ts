/**
 * G2 (3x-ui v3.1.0+): email-scoped client routes under `panel/api/clients` (reference/xui-api.md §5).
 * Reads of one client return a ClientRecord (numeric `id`, UUID in `uuid`, §4.3) that must be mapped
 * back to the Client wire form before an update. `clients/add` forces `enable:true` (§7.1), so a
 * client that must start disabled is created, then disabled. Bulk enable/disable exist from v3.4.1;
 * older G2 panels answer 404 and we fall back to one read-modify-write per client.
 */
import { asClientEmail, type ClientEmail } from '../domain/ids.ts';
import type { ObservedClient } from '../domain/observed.ts';
import type { ClientFields } from '../domain/desired.ts';
import type { BulkResult, NewClient } from '../reconciler/ports.ts';
import { segment, type PanelCalls } from './calls.ts';
import { clientRefusalReason, PanelRefusedError, PanelUnconfirmedError } from './errors.ts';
import { buildObservation, toObservedClient } from './observation.ts';
import { applyManagedFields, newClientWire, type GenerationOps } from './ops.ts';
import {
  clientRecordToWire,
  parseBulkResult,
  parseClientDetail,
  parseInbound,
  parseInboundList,
  parseTrafficOrNull,
  type WireClientDetail,
  type WireInbound,
} from './wire.ts';

/** Emails per bulk call: ~40 bytes each, far below the 10 MiB body limit (§9). */
const BULK_CHUNK = 1_000;

/** How long an inbound's enable flag seen by `observe` is trusted by single-client reads. */
const INBOUND_FLAG_TTL_MS = 60_000;

/** Creates the G2 operations over a panel's calls. */
export function createG2Ops(calls: PanelCalls, now: () => number = Date.now): GenerationOps {
  /** false once the panel answered 404 to a bulk route (v3.1.0–v3.4.0). */
  let hasBulk = true;
  const inboundFlags = new Map<number, { isEnabled: boolean; atMs: number }>();

  function rememberInbounds(inbounds: ReadonlyArray<WireInbound>): void {
    const at = now();
    for (const inbound of inbounds) {
      inboundFlags.set(inbound.id, { isEnabled: inbound.enable, atMs: at });
    }
  }

  async function isAnyInboundEnabled(
    op: string,
    ids: ReadonlyArray<number>,
    signal: AbortSignal,
  ): Promise<boolean> {
    for (const id of ids) {
      let flag = inboundFlags.get(id);
      if (flag === undefined || now() - flag.atMs > INBOUND_FLAG_TTL_MS) {
        const envelope = await calls.call(op, 'GET', `inbounds/get/${segment(id)}`, signal);
        const obj = calls.succeed(op, envelope);
        const inbound = calls.parsed(op, parseInbound(obj), obj);
        rememberInbounds([inbound]);
        flag = { isEnabled: inbound.enable, atMs: now() };
      }
      if (flag.isEnabled) {
        return true;
      }
    }
    return false;
  }

  /** `clients/get/:email`; null when the panel says `record not found`. */
  async function getDetail(op: string, email: string, signal: AbortSignal): Promise<WireClientDetail | null> {
    const envelope = await calls.call(op, 'GET', `clients/get/${segment(email)}`, signal);
    if (!envelope.success && envelope.msg.includes('record not found')) {
      return null;
    }
    const obj = calls.succeed(op, envelope);
    return calls.parsed(op, parseClientDetail(obj), obj);
  }

  async function readClient(op: string, email: string, signal: AbortSignal): Promise<ObservedClient | null> {
    const detail = await getDetail(op, email, signal);
    if (detail === null) {
      return null;
    }
    const envelope = await calls.call(op, 'GET', `clients/traffic/${segment(email)}`, signal);
    const obj = calls.succeed(op, envelope);
    // §5: an unknown email is success:true with obj:null — no traffic row, not "absent".
    const traffic = calls.parsed(op, parseTrafficOrNull(obj), obj) ?? undefined;
    const isInboundEnabled = await isAnyInboundEnabled(op, detail.inboundIds, signal);
    return toObservedClient(detail.client, detail.inboundIds, isInboundEnabled, traffic);
  }

  async function writeClient(
    op: string,
    email: string,
    wire: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<void> {
    const envelope = await calls.call(op, 'POST', `clients/update/${segment(email)}`, signal, {
      kind: 'json',
      value: wire,
    });
    calls.succeed(op, envelope);
  }

  /** Per-client fallback for panels without bulk routes: read, flip `enable`, write back (2 calls each). */
  async function setEnabledOneByOne(
    op: string,
    emails: ReadonlyArray<ClientEmail>,
    enable: boolean,
    signal: AbortSignal,
    callsSoFar: number,
  ): Promise<BulkResult> {
    let callCount = callsSoFar;
    const changed: ClientEmail[] = [];
    const skipped: Array<{ email: ClientEmail; reason: string }> = [];
    for (const email of emails) {
      callCount++;
      const detail = await getDetail(op, email, signal);
      if (detail === null) {
        skipped.push({ email, reason: 'client not found' });
        continue;
      }
      callCount++;
      try {
        await writeClient(op, email, { ...clientRecordToWire(detail.record), enable }, signal);
        changed.push(email);
      } catch (thrown: unknown) {
        skipped.push({ email, reason: clientRefusalReason(thrown) });
      }
    }
    return { changed, skipped, calls: callCount };
  }

  async function setEnabled(
    emails: ReadonlyArray<ClientEmail>,
    enable: boolean,
    signal: AbortSignal,
  ): Promise<BulkResult> {
    const op = enable ? 'bulkEnable' : 'bulkDisable';
    if (emails.length === 0) {
      return { changed: [], skipped: [], calls: 0 };
    }
    if (!hasBulk) {
      return setEnabledOneByOne(op, emails, enable, signal, 0);
    }
    const changed: ClientEmail[] = [];
    const skipped: Array<{ email: ClientEmail; reason: string }> = [];
    let callCount = 0;
    for (let start = 0; start < emails.length; start += BULK_CHUNK) {
      const chunk = emails.slice(start, start + BULK_CHUNK);
      callCount++;
      const envelope = await calls.callIfExists(op, 'POST', `clients/${op}`, signal, {
        kind: 'json',
        value: { emails: chunk },
      });
      if (envelope === undefined) {
        hasBulk = false; // v3.1.0–v3.4.0: no bulk routes (§5).
        calls.http.logNotice({ op }, 'panel has no bulk routes, falling back to one call per client');
        const rest = await setEnabledOneByOne(op, emails.slice(start), enable, signal, callCount);
        return {
          changed: [...changed, ...rest.changed],
          skipped: [...skipped, ...rest.skipped],
          calls: rest.calls,
        };
      }
      const obj = calls.succeed(op, envelope);
      const result = calls.parsed(op, parseBulkResult(obj), obj);
      // §5: unknown emails come back in `skipped` with success:true; already-set ones count as changed.
      const skippedEmails = new Set(result.skipped.map((item) => item.email));
      for (const item of result.skipped) {
        skipped.push({ email: asClientEmail(item.email), reason: item.reason });
      }
      for (const email of chunk) {
        if (!skippedEmails.has(email)) {
          changed.push(email);
        }
      }
    }
    return { changed, skipped, calls: callCount };
  }

  return {
    async observe(signal) {
      const op = 'observe';
      const envelope = await calls.call(op, 'GET', 'inbounds/list', signal);
      const obj = calls.succeed(op, envelope);
      const inbounds = calls.parsed(op, parseInboundList(obj), obj);
      rememberInbounds(inbounds);
      return buildObservation(calls.connection.id, 'g2', inbounds);
    },

    async getClient(email, signal) {
      return readClient('getClient', email, signal);
    },

    async createClient(client: NewClient, signal) {
      const op = 'createClient';
      const envelope = await calls.call(op, 'POST', 'clients/add', signal, {
        kind: 'json',
        value: { client: newClientWire(client), inboundIds: [client.inboundId] },
      });
      calls.succeed(op, envelope);
      if (!client.enable) {
        // §7.1: G2 add ignores enable:false; disable right after.
        const result = await setEnabled([client.email], false, signal);
        const skipped = result.skipped[0];
        if (skipped !== undefined) {
          throw new PanelRefusedError(calls.context(op), 200, `created but not disabled: ${skipped.reason}`);
        }
      }
    },

    async updateClient(email: ClientEmail, fields: ClientFields, signal) {
      const op = 'updateClient';
      const detail = await getDetail(op, email, signal);
      if (detail === null) {
        throw new PanelRefusedError(calls.context(op), 200, `client not found: ${email}`);
      }
      // §4.3/§7.1: the full ClientRecord, mapped to the Client wire form, with our fields replaced.
      await writeClient(
        op,
        email,
        applyManagedFields(clientRecordToWire(detail.record), fields, undefined),
        signal,
      );
      let confirmed: ObservedClient | null;
      try {
        confirmed = await readClient(op, email, signal);
      } catch (thrown: unknown) {
        throw new PanelUnconfirmedError(calls.context(op), thrown);
      }
      if (confirmed === null) {
        throw new PanelRefusedError(calls.context(op), 200, `client vanished after update: ${email}`);
      }
      return confirmed;
    },

    setEnabled,

    async deleteClient(email, signal) {
      const op = 'deleteClient';
      const envelope = await calls.call(op, 'POST', `clients/del/${segment(email)}`, signal);
      if (!envelope.success && envelope.msg.includes('record not found')) {
        return; // Already gone: deleting is idempotent for us.
      }
      calls.succeed(op, envelope);
    },
  };
}
