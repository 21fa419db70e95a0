/**
 * The G1 client routes (v1.5.0–v3.0.2) under `panel/api/inbounds/` (reference/xui-api.md §6): bodies
 * are an inbound id plus `settings`, a JSON *string* holding `{"clients":[...]}`; clients are addressed
 * by their protocol identity (§6.1).
 */
import { empty, envelope, failure, isRecord, json, outcome, WENT_WRONG, type Answer } from './answers.ts';
import type { ApiRequest, RouteContext } from './api-routes.ts';
import { bindClient, type DecodedClient } from './go-json.ts';
import {
  addClientG1,
  deleteClientByEmailG1,
  deleteClientG1,
  saveStaleSettingsG1,
  updateClientG1,
} from './model/g1.ts';
import type { PanelModel } from './model/store.ts';
import { renderTraffic } from './render.ts';

type BoundClients = Array<{ client: DecodedClient; extra: Record<string, unknown> }>;

/** Binds `settings` the way G1 does: into the Inbound model, whose `settings` is a Go string (§6). */
function decodeSettingsClients(
  settings: unknown,
): { ok: true; clients: BoundClients } | { ok: false; text: string } {
  if (typeof settings !== 'string') {
    return {
      ok: false,
      text: `json: cannot unmarshal ${Array.isArray(settings) ? 'array' : typeof settings === 'object' ? 'object' : typeof settings} into Go struct field Inbound.settings of type string`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(settings);
  } catch {
    return { ok: false, text: 'invalid character in settings JSON' };
  }
  const list = isRecord(parsed) ? parsed.clients : undefined;
  if (!Array.isArray(list)) {
    return { ok: false, text: 'empty client ID' };
  }
  const clients: BoundClients = [];
  for (const item of list) {
    const bound = bindClient(item);
    if (!bound.ok) {
      return { ok: false, text: bound.error };
    }
    clients.push({ client: bound.client, extra: bound.extra });
  }
  return { ok: true, clients };
}

function inboundIdOf(body: Record<string, unknown>): number | undefined {
  const raw = body.id;
  const id = typeof raw === 'string' ? Number(raw) : raw;
  return typeof id === 'number' && Number.isInteger(id) ? id : undefined;
}

/** The localized prefix of `pages.inbounds.toasts.trafficGetError` (en_US; ru_RU and others translate it). */
const TRAFFIC_GET_ERROR = 'Error getting traffics.';

/**
 * `getClientTraffics/:email` (§6.2). v2.8.0 and older read the traffic row: unknown email → success
 * with obj null. v2.8.1–v3.0.x look the client up through the row's inbound: no row → success:false
 * `(Inbound Not Found For Email: x\n)`, the row's inbound gone → `(record not found)`, the client
 * missing from that inbound → `(Client Not Found In Inbound For Email: x\n)`.
 */
function clientTraffics(model: PanelModel, email: string): Answer {
  const row = model.findTraffic(email);
  if (model.traits.absentTraffic === 'null') {
    return json(
      envelope(
        true,
        '',
        row === undefined ? null : renderTraffic(row, model.findClient(email), model.traits),
      ),
    );
  }
  if (row === undefined) {
    return json(failure(TRAFFIC_GET_ERROR, `Inbound Not Found For Email: ${email}`));
  }
  const inbound = model.inbounds.get(row.inboundId);
  if (inbound === undefined) {
    return json(envelope(false, `${TRAFFIC_GET_ERROR} (record not found)`, null));
  }
  const client = model.clients.get(email.toLowerCase());
  if (client === undefined || client.email !== email || !inbound.clients.has(email.toLowerCase())) {
    return json(failure(TRAFFIC_GET_ERROR, `Client Not Found In Inbound For Email: ${email}`));
  }
  const rendered = renderTraffic(row, client, model.traits);
  // v2.8.1–v2.8.11 overwrite the row's `enable` with the client's settings flag (reverted in v2.9.0).
  return json(
    envelope(
      true,
      '',
      model.traits.trafficEnable === 'settings' ? { ...rendered, enable: client.enable } : rendered,
    ),
  );
}

/** Routes a G1 client request under `panel/api/inbounds/`. */
export function routeG1(
  { model, staleInbounds }: RouteContext,
  { method, parts, body: rawBody }: ApiRequest,
): Answer {
  const [, action, param, extra] = parts;
  const body = isRecord(rawBody) ? rawBody : {};
  if (method === 'GET' && action === 'getClientTraffics' && param !== undefined) {
    return clientTraffics(model, param);
  }
  if (method !== 'POST') {
    return empty(404);
  }
  if (action === 'addClient' || action === 'updateClient') {
    const inboundId = inboundIdOf(body);
    const decoded = decodeSettingsClients(body.settings);
    if (!decoded.ok) {
      return json(failure(WENT_WRONG, decoded.text));
    }
    if (inboundId === undefined) {
      return json(failure(WENT_WRONG, 'record not found'));
    }
    const written = decoded.clients.map(({ client }) => (client.email ?? '').toLowerCase());
    if (action === 'addClient') {
      const added = addClientG1(model, inboundId, decoded.clients);
      if (added.ok && staleInbounds !== undefined) {
        saveStaleSettingsG1(model, staleInbounds, inboundId, written);
      }
      return outcome(added, 'Inbound client(s) have been added.');
    }
    if (param === undefined) {
      return empty(404);
    }
    const updated = updateClientG1(model, inboundId, param, decoded.clients);
    if (updated.ok && staleInbounds !== undefined) {
      saveStaleSettingsG1(model, staleInbounds, inboundId, written, param);
    }
    return outcome(updated, 'Inbound client has been updated.');
  }
  // `:id/delClient/:clientId`, `:id/delClientByEmail/:email`, `:id/resetClientTraffic/:email`
  const inboundId = Number(action);
  if (Number.isInteger(inboundId) && extra !== undefined) {
    if (param === 'delClient') {
      return outcome(deleteClientG1(model, inboundId, extra), 'Inbound client has been deleted.');
    }
    if (param === 'delClientByEmail') {
      return outcome(deleteClientByEmailG1(model, inboundId, extra), 'Inbound client has been deleted.');
    }
    if (param === 'resetClientTraffic') {
      return outcome(model.resetTraffic(extra), 'Traffic has been reset.');
    }
  }
  return empty(404);
}
