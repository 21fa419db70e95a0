/**
 * G1 (3x-ui v1.5.0 – v3.0.2): inbound-scoped client routes under `panel/api/inbounds`
 * (reference/xui-api.md §6). Bodies carry the inbound id and `settings` as a JSON **string**; paths
 * address a client by its current protocol identity (§6.1). There is no bulk endpoint and no server-side
 * lock, so every write is a read-modify-write of one client, one at a time (§9).
 */
import type { ClientEmail } from '../domain/ids.ts';
import { asClientEmail } from '../domain/ids.ts';
import type { ObservedClient, PanelObservation } from '../domain/observed.ts';
import type { ClientFields } from '../domain/desired.ts';
import type { BulkResult, NewClient } from '../reconciler/ports.ts';
import { segment, type PanelCalls } from './calls.ts';
import { clientRefusalReason, PanelRefusedError, PanelUnconfirmedError } from './errors.ts';
import { buildObservation, identityKey, indexTraffic, toObservedClient } from './observation.ts';
import { applyManagedFields, newClientWire, type GenerationOps } from './ops.ts';
import {
  parseInbound,
  parseInboundList,
  parseSettingsClient,
  parseTrafficOrNull,
  type WireClient,
  type WireInbound,
  type WireTraffic,
} from './wire.ts';

/** A client found on a G1 panel: the inbounds that hold it (more than one is a duplicate). */
interface Located {
  readonly holders: ReadonlyArray<{ readonly inbound: WireInbound; readonly client: WireClient }>;
  readonly traffic: WireTraffic | undefined;
}

/** Creates the G1 operations over a panel's calls. */
export function createG1Ops(calls: PanelCalls): GenerationOps {
  async function listInbounds(op: string, signal: AbortSignal): Promise<ReadonlyArray<WireInbound>> {
    const envelope = await calls.call(op, 'GET', 'inbounds/list', signal);
    const obj = calls.succeed(op, envelope);
    return calls.parsed(op, parseInboundList(obj), obj);
  }

  /**
   * The client's traffic row (GET inbounds/getClientTraffics), or null when this route did not find
   * one. An unknown email is `success:true, obj:null` up to v2.8.0 but a `success:false` with a
   * *localized* message from v2.8.1 to v3.0.x (§6.2), which also refuses a client whose row points at
   * the wrong inbound. So any refusal here means "not found by this route", never "absent": callers
   * confirm absence from the inbounds themselves, and the message text is never matched (it is
   * translated).
   */
  async function readTraffic(op: string, email: string, signal: AbortSignal): Promise<WireTraffic | null> {
    const envelope = await calls.call(op, 'GET', `inbounds/getClientTraffics/${segment(email)}`, signal);
    if (!envelope.success) {
      return null;
    }
    return calls.parsed(op, parseTrafficOrNull(envelope.obj), envelope.obj);
  }

  function holdersIn(inbounds: ReadonlyArray<WireInbound>, email: string): Located['holders'] {
    const holders: Array<{ inbound: WireInbound; client: WireClient }> = [];
    for (const inbound of inbounds) {
      for (const client of inbound.clients) {
        if (client.email === email) {
          holders.push({ inbound, client });
        }
      }
    }
    return holders;
  }

  /**
   * Finds a client cheaply: its traffic row names the inbound it was created on, so fetch only that
   * inbound. If the row is missing or stale, fall back to the full list, which is authoritative.
   * The row as the inbound's `clientStats` has it wins over the `getClientTraffics` answer: in
   * v2.8.1–v2.8.11 that route reports the client's settings flag as `enable` (§4.4, §6.2), so a client
   * only the depletion job disabled (≤ v2.9.3 clears the row alone) would read as enabled.
   */
  async function locate(op: string, email: string, signal: AbortSignal): Promise<Located> {
    const traffic = (await readTraffic(op, email, signal)) ?? undefined;
    const key = email.toLowerCase();
    if (traffic !== undefined && traffic.inboundId > 0) {
      const envelope = await calls.call(op, 'GET', `inbounds/get/${segment(traffic.inboundId)}`, signal);
      if (envelope.success) {
        const inbound = calls.parsed(op, parseInbound(envelope.obj), envelope.obj);
        const holders = holdersIn([inbound], email);
        if (holders.length > 0) {
          return { holders, traffic: indexTraffic([inbound]).get(key) ?? traffic };
        }
      }
    }
    const inbounds = await listInbounds(op, signal);
    return {
      holders: holdersIn(inbounds, email),
      traffic: indexTraffic(inbounds).get(key) ?? traffic,
    };
  }

  function observed(located: Located): ObservedClient | null {
    const first = located.holders[0];
    if (first === undefined) {
      return null;
    }
    return toObservedClient(
      first.client,
      located.holders.map((holder) => holder.inbound.id),
      located.holders.some((holder) => holder.inbound.enable),
      located.traffic,
    );
  }

  /** POST updateClient/:clientId with the full object; the path holds the *current* identity (§6.1). */
  async function writeClient(
    op: string,
    inbound: WireInbound,
    current: WireClient,
    next: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<void> {
    const identity = current.raw[identityKey(inbound.protocol)];
    const clientId = typeof identity === 'string' ? identity : '';
    const envelope = await calls.call(op, 'POST', `inbounds/updateClient/${segment(clientId)}`, signal, {
      kind: 'json',
      value: { id: inbound.id, settings: JSON.stringify({ clients: [next] }) },
    });
    calls.succeed(op, envelope);
  }

  return {
    async observe(signal) {
      const inbounds = await listInbounds('observe', signal);
      return buildObservation(calls.connection.id, 'g1', inbounds) satisfies PanelObservation;
    },

    async getClient(email, signal) {
      return observed(await locate('getClient', email, signal));
    },

    async createClient(client: NewClient, signal) {
      const envelope = await calls.call('createClient', 'POST', 'inbounds/addClient', signal, {
        kind: 'json',
        // §6: G1 binds the Inbound model, whose `settings` is a string; an object fails to unmarshal.
        value: { id: client.inboundId, settings: JSON.stringify({ clients: [newClientWire(client)] }) },
      });
      calls.succeed('createClient', envelope);
    },

    async updateClient(email: ClientEmail, fields: ClientFields, signal) {
      const op = 'updateClient';
      const located = await locate(op, email, signal);
      if (located.holders.length === 0) {
        throw new PanelRefusedError(calls.context(op), 200, `client not found: ${email}`);
      }
      let written: Record<string, unknown> = {};
      for (const { inbound, client } of located.holders) {
        written = applyManagedFields(client.raw, fields, inbound.protocol);
        await writeClient(op, inbound, client, written, signal);
      }
      // Read back without re-fetching the whole inbound (O(clients) on G1): G1 stores the body as-is,
      // and the update mirrors enable/total/expiryTime/reset into the traffic row (§7.1), which we
      // read fresh. The managed fields are reported as the panel's row has them.
      let traffic: Awaited<ReturnType<typeof readTraffic>>;
      try {
        traffic = await readTraffic(op, email, signal);
      } catch (thrown: unknown) {
        throw new PanelUnconfirmedError(calls.context(op), thrown);
      }
      const stored = calls.parsed(op, parseSettingsClient(written), written);
      const confirmed: WireClient =
        traffic === null
          ? stored
          : {
              ...stored,
              enable: traffic.enable && stored.enable,
              expiryTime: traffic.expiryTime,
              totalGB: traffic.total,
            };
      return toObservedClient(
        confirmed,
        located.holders.map((holder) => holder.inbound.id),
        located.holders.some((holder) => holder.inbound.enable),
        traffic ?? undefined,
      );
    },

    async setEnabled(emails, enable, signal): Promise<BulkResult> {
      const op = enable ? 'bulkEnable' : 'bulkDisable';
      if (emails.length === 0) {
        return { changed: [], skipped: [], calls: 0 };
      }
      // One list, then one updateClient per client (G1 has no bulk route, §6): 1 + N calls.
      const inbounds = await listInbounds(op, signal);
      let callCount = 1;
      const byEmail = new Map<string, Array<{ inbound: WireInbound; client: WireClient }>>();
      for (const inbound of inbounds) {
        for (const client of inbound.clients) {
          const list = byEmail.get(client.email) ?? [];
          list.push({ inbound, client });
          byEmail.set(client.email, list);
        }
      }
      const changed: ClientEmail[] = [];
      const skipped: Array<{ email: ClientEmail; reason: string }> = [];
      for (const email of emails) {
        const holders = byEmail.get(email);
        if (holders === undefined) {
          skipped.push({ email, reason: 'client not found' });
          continue;
        }
        try {
          for (const { inbound, client } of holders) {
            callCount++;
            await writeClient(op, inbound, client, { ...client.raw, enable }, signal);
          }
          changed.push(asClientEmail(email));
        } catch (thrown: unknown) {
          // A refusal concerns this client only; transport/auth failures abort the whole batch.
          skipped.push({ email, reason: clientRefusalReason(thrown) });
        }
      }
      return { changed, skipped, calls: callCount };
    },

    async deleteClient(email, signal) {
      const op = 'deleteClient';
      const located = await locate(op, email, signal);
      for (const { inbound, client } of located.holders) {
        const identity = client.raw[identityKey(inbound.protocol)];
        const clientId = typeof identity === 'string' ? identity : '';
        const envelope = await calls.call(
          op,
          'POST',
          `inbounds/${segment(inbound.id)}/delClient/${segment(clientId)}`,
          signal,
        );
        calls.succeed(op, envelope);
      }
    },
  };
}
