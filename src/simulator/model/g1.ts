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
