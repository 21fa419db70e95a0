/**
 * The G1 client operations (v1.5.0–v3.0.2, routes under `panel/api/inbounds/`): clients live inside one
 * inbound, are addressed by their protocol identity (§6.1), and the email is unique across inbounds.
 */
import type { DecodedClient } from '../go-json.ts';
import { identityOf, no, ok, type Outcome, type PanelModel, type SimClient } from './store.ts';

/** G1 `addClient`: appends clients to an inbound; the email is unique across all inbounds (§4.2, §6). */
export function addClientG1(
  model: PanelModel,
  inboundId: number,
  bodies: ReadonlyArray<{ client: DecodedClient; extra: Record<string, unknown> }>,
): Outcome<null> {
  const inbound = model.inbounds.get(inboundId);
  if (inbound === undefined) {
    return no('record not found');
  }
  for (const { client } of bodies) {
    const email = client.email ?? '';
    const refusal = model.emailRefusal(email);
    if (refusal !== undefined) {
      return no(refusal);
    }
    if (model.findClient(email) !== undefined) {
      return no(`Duplicate email: ${email}`);
    }
    if (model.identityFromBody(inbound.protocol, client) === '') {
      return no('empty client ID');
    }
  }
  for (const { client, extra } of bodies) {
    model.insert(inbound, model.fromBody(client, extra, inboundId, undefined));
  }
  return ok(null);
}

/** G1 `updateClient/:clientId`: replaces the entry as sent, keeping only `created_at` (§6.1, §7.1). */
export function updateClientG1(
  model: PanelModel,
  inboundId: number,
  clientId: string,
  bodies: ReadonlyArray<{ client: DecodedClient; extra: Record<string, unknown> }>,
): Outcome<null> {
  const inbound = model.inbounds.get(inboundId);
  if (inbound === undefined) {
    return no('record not found');
  }
  const first = bodies[0];
  if (first === undefined || bodies.length !== 1) {
    return no('empty client ID');
  }
  let current: SimClient | undefined;
  for (const key of inbound.clients) {
    const candidate = model.clients.get(key);
    if (candidate !== undefined && identityOf(inbound.protocol, candidate) === clientId) {
      current = candidate;
      break;
    }
  }
  if (current === undefined || model.identityFromBody(inbound.protocol, first.client) === '') {
    return no('empty client ID');
  }
  const next = model.fromBody(first.client, first.extra, inboundId, current);
  const refusal = model.emailRefusal(next.email);
  if (refusal !== undefined) {
    return no(refusal);
  }
  return model.replace(current, next);
}

/** G1 `:id/delClient/:clientId`: refuses to remove the last client of an inbound (§6.1). */
export function deleteClientG1(model: PanelModel, inboundId: number, clientId: string): Outcome<null> {
  const inbound = model.inbounds.get(inboundId);
  if (inbound === undefined) {
    return no('record not found');
  }
  for (const key of inbound.clients) {
    const candidate = model.clients.get(key);
    if (candidate !== undefined && identityOf(inbound.protocol, candidate) === clientId) {
      if (inbound.clients.size === 1) {
        return no('no client remained in Inbound');
      }
      model.detach(candidate, inbound);
      return ok(null);
    }
  }
  return no('empty client ID');
}

/** G1 `:id/delClientByEmail/:email` (v2.8.0+). */
export function deleteClientByEmailG1(model: PanelModel, inboundId: number, email: string): Outcome<null> {
  const inbound = model.inbounds.get(inboundId);
  const client = model.findClient(email);
  if (inbound === undefined || client === undefined || !inbound.clients.has(email.toLowerCase())) {
    return no(`client with email ${email} not found`);
  }
  if (inbound.clients.size === 1) {
    return no('no client remained in Inbound');
  }
  model.detach(client, inbound);
  return ok(null);
}

/**
 * The client entries of every inbound as a G1 write read them when it arrived (deep copies, in
 * order): what a slow write saves back when it finally lands.
 */
export type StaleInbounds = ReadonlyMap<number, ReadonlyArray<SimClient>>;

/** Copies every inbound's client entries (taken when a slow G1 write arrives). */
export function captureInboundsG1(model: PanelModel): StaleInbounds {
  const captured = new Map<number, SimClient[]>();
  for (const inbound of model.inbounds.values()) {
    const entries: SimClient[] = [];
    for (const key of inbound.clients) {
      const client = model.clients.get(key);
      if (client !== undefined) {
        entries.push(structuredClone(client));
      }
    }
    captured.set(inbound.id, entries);
  }
  return captured;
}

/**
 * What a G1 `addClient` / `updateClient` saves when it lands: the inbound's whole settings as read
 * when the request arrived, with only this request's change applied. 3x-ui v2.8.0
 * `InboundService.AddInboundClient` / `UpdateInboundClient` read the inbound (`GetInbound`), then
 * update the traffic rows and call Xray's API, then `tx.Save(oldInbound)`: when that takes long (a
 * busy database, a stuck Xray API), the save writes back a stale copy. Clients added to the inbound
 * meanwhile vanish from its settings (their traffic rows stay, as 3x-ui never deletes them here),
 * and clients changed meanwhile revert to the copy.
 *
 * `written` are the lower-cased emails this request stored; `replacedIdentity` is the path clientId
 * of an `updateClient` (the entry it replaced).
 */
export function saveStaleSettingsG1(
  model: PanelModel,
  stale: StaleInbounds,
  inboundId: number,
  written: ReadonlyArray<string>,
  replacedIdentity?: string,
): void {
  const inbound = model.inbounds.get(inboundId);
  const copy = stale.get(inboundId);
  if (inbound === undefined || copy === undefined) {
    return;
  }
  const saved: string[] = [];
  for (const entry of copy) {
    const key = entry.email.toLowerCase();
    if (replacedIdentity !== undefined && identityOf(inbound.protocol, entry) === replacedIdentity) {
      saved.push(...written.filter((writtenKey) => !saved.includes(writtenKey)));
      continue;
    }
    if (written.includes(key)) {
      continue;
    }
    model.clients.set(key, structuredClone(entry));
    saved.push(key);
  }
  for (const key of written) {
    if (!saved.includes(key)) {
      saved.push(key);
    }
  }
  for (const key of inbound.clients) {
    if (saved.includes(key)) {
      continue;
    }
    const client = model.clients.get(key);
    if (client !== undefined) {
      client.inboundIds = client.inboundIds.filter((id) => id !== inboundId);
      if (client.inboundIds.length === 0) {
        model.clients.delete(key);
      }
    }
  }
  inbound.clients = new Set(saved);
}
