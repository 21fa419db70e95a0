/**
 * The G2 client operations (v3.1.0+, routes under `panel/api/clients/`): one record per email attached
 * to N inbounds, addressed by email (§4.2, §5, §7.1).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { DecodedClient } from '../go-json.ts';
import { no, ok, type Outcome, type PanelModel, type SimInbound } from './store.ts';

/**
 * G2 `clients/add`: forces `enable:true`, generates omitted secrets and subId, and attaches an existing
 * email only when its subId matches (§4.2, §7.1).
 */
export function addClientG2(
  model: PanelModel,
  body: DecodedClient,
  inboundIds: ReadonlyArray<number>,
): Outcome<null> {
  const email = body.email ?? '';
  const refusal = model.emailRefusal(email) ?? model.subIdRefusal(body.subId);
  if (refusal !== undefined) {
    return no(refusal);
  }
  if (inboundIds.length === 0) {
    return no('at least one inbound is required');
  }
  const cycle = model.cycleRefusal(body);
  if (cycle !== undefined) {
    return no(cycle);
  }
  const inbounds: SimInbound[] = [];
  for (const id of inboundIds) {
    const inbound = model.inbounds.get(id);
    if (inbound === undefined) {
      return no('record not found');
    }
    inbounds.push(inbound);
  }
  const existing = model.findClient(email);
  if (existing !== undefined) {
    if (body.subId === undefined || body.subId === '' || body.subId !== existing.subId) {
      return no(`email already in use: ${email}`);
    }
    for (const inbound of inbounds) {
      if (!existing.inboundIds.includes(inbound.id)) {
        existing.inboundIds.push(inbound.id);
        inbound.clients.add(existing.email.toLowerCase());
      }
    }
    return ok(null);
  }
  const subId = body.subId === undefined || body.subId === '' ? randomUUID() : body.subId;
  for (const other of model.clients.values()) {
    if (other.subId === subId) {
      return no(`subId already in use: ${subId}`);
    }
  }
  const first = inbounds[0];
  if (first === undefined) {
    return no('at least one inbound is required');
  }
  const client = model.fromBody(body, {}, first.id, undefined);
  client.enable = true; // §7.1: G2 add ignores enable:false.
  client.subId = subId;
  if (!inbounds.some((inbound) => model.keepsFlow(inbound))) {
    client.flow = ''; // clientWithInboundFlow: no attached inbound can use an XTLS flow.
  }
  if (client.uuid === '') {
    client.uuid = randomUUID();
  }
  if (client.password === '') {
    client.password = randomBytes(12).toString('base64url');
  }
  if (client.auth === '') {
    client.auth = randomBytes(12).toString('base64url');
  }
  client.inboundIds = inbounds.map((inbound) => inbound.id);
  model.insert(first, client);
  for (const inbound of inbounds.slice(1)) {
    inbound.clients.add(client.email.toLowerCase());
  }
  return ok(null);
}

/**
 * G2 `clients/update/:email`: rebuilds the entry from the body. Omitted numbers become 0, strings
 * empty; subId, created_at and (v3.4.0+) the protocol secrets survive when omitted (§7.1).
 */
export function updateClientG2(
  model: PanelModel,
  email: string,
  body: DecodedClient,
  inboundIds: ReadonlyArray<number> | undefined,
): Outcome<null> {
  const current = model.findClientExact(email);
  if (current === undefined) {
    return no('record not found');
  }
  if (body.email === undefined || body.email === '') {
    return no('client email is required');
  }
  const refusal =
    model.emailRefusal(body.email) ?? model.subIdRefusal(body.subId) ?? model.cycleRefusal(body);
  if (refusal !== undefined) {
    return no(refusal);
  }
  const next = model.fromBody(body, {}, current.inboundIds[0] ?? 0, current);
  const attached = current.inboundIds.map((id) => model.inbounds.get(id)).filter((ib) => ib !== undefined);
  if (!attached.some((inbound) => model.keepsFlow(inbound))) {
    next.flow = ''; // clientWithInboundFlow: no attached inbound can use an XTLS flow.
  }
  if (body.subId === undefined || body.subId === '') {
    next.subId = current.subId;
  }
  if (next.uuid === '') {
    next.uuid = current.uuid;
  }
  if (next.password === '') {
    next.password = current.password;
  }
  if (next.auth === '') {
    next.auth = current.auth;
  }
  const outcome = model.replace(current, next);
  if (outcome.ok && inboundIds !== undefined) {
    for (const id of inboundIds) {
      const inbound = model.inbounds.get(id);
      if (inbound !== undefined && !next.inboundIds.includes(id)) {
        next.inboundIds.push(id);
        inbound.clients.add(next.email.toLowerCase());
      }
    }
  }
  return outcome;
}

/** G2 `clients/del/:email` (G2 may remove the last client of an inbound, §6.1). */
export function deleteClientG2(model: PanelModel, email: string, keepTraffic: boolean): Outcome<null> {
  const client = model.findClientExact(email);
  if (client === undefined) {
    return no('record not found');
  }
  const key = email.toLowerCase();
  for (const id of client.inboundIds) {
    model.inbounds.get(id)?.clients.delete(key);
  }
  model.clients.delete(key);
  if (!keepTraffic) {
    model.traffic.delete(key);
  }
  return ok(null);
}

/** G2 `bulkEnable`/`bulkDisable`: unknown emails are skipped, not errors; already-set ones count (§5). */
export function bulkSetEnable(
  model: PanelModel,
  emails: ReadonlyArray<string>,
  enable: boolean,
): { changed: number; skipped: Array<{ email: string; reason: string }> } {
  let changed = 0;
  const skipped: Array<{ email: string; reason: string }> = [];
  // The panel trims, drops empty and de-duplicates the list first (client_bulk.go BulkSetEnable).
  const unique = new Set(emails.map((email) => email.trim()).filter((email) => email !== ''));
  for (const email of unique) {
    const client = model.findClientExact(email);
    if (client === undefined) {
      skipped.push({ email, reason: 'client not found' });
      continue;
    }
    client.enable = enable;
    client.updatedAt = model.now();
    model.mirrorToTraffic(client);
    changed++;
  }
  return { changed, skipped };
}
