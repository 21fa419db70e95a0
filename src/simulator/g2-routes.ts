/**
 * The G2 client routes (v3.1.0+) under `panel/api/clients/` (reference/xui-api.md §5): JSON bodies,
 * clients addressed by email, the ClientRecord wire shape, bulk enable/disable (v3.4.1+).
 */
import { empty, envelope, failure, isRecord, json, outcome, WENT_WRONG, type Answer } from './answers.ts';
import type { ApiRequest, RouteContext } from './api-routes.ts';
import { bindClient, CLIENT_FIELD_TYPES, MAIN_CLIENT_FIELD_TYPES } from './go-json.ts';
import { addClientG2, bulkSetEnable, deleteClientG2, updateClientG2 } from './model/g2.ts';
import type { PanelModel } from './model/store.ts';
import { renderClientRecord, renderTraffic } from './render.ts';

function routeReads(
  model: PanelModel,
  action: string,
  param: string | undefined,
  query: URLSearchParams,
): Answer {
  switch (action) {
    case 'list': {
      if (param === 'paged') {
        const page = Math.max(1, Number(query.get('page') ?? '1'));
        const pageSize = Math.max(1, Number(query.get('pageSize') ?? '25'));
        const all = [...model.clients.values()];
        const items = all.slice((page - 1) * pageSize, page * pageSize).map((client) => ({
          email: client.email,
          enable: client.enable,
          inboundIds: client.inboundIds,
          comment: client.comment,
        }));
        return json(
          envelope(true, '', {
            items,
            total: all.length,
            filtered: all.length,
            page,
            pageSize,
            summary: {},
            groups: [],
          }),
        );
      }
      const list = [...model.clients.values()].map((client) => {
        const row = model.findTraffic(client.email);
        return {
          ...renderClientRecord(client, model.traits),
          inboundIds: client.inboundIds,
          ...(row === undefined ? {} : { traffic: renderTraffic(row, client, model.traits) }),
        };
      });
      return json(envelope(true, '', list));
    }
    case 'get': {
      const client = param === undefined ? undefined : model.findClientExact(param);
      if (client === undefined) {
        // gorm's not-found text carries no trailing newline (§3, §5).
        return json(envelope(false, 'Obtain (record not found)', null));
      }
      const row = model.findTraffic(client.email);
      return json(
        envelope(true, '', {
          client: renderClientRecord(client, model.traits),
          inboundIds: client.inboundIds,
          externalLinks: [],
          usedTraffic: row === undefined ? 0 : row.up + row.down,
        }),
      );
    }
    case 'traffic': {
      const row = param === undefined ? undefined : model.findTraffic(param);
      // §5: an unknown email is success:true with obj:null.
      return json(
        envelope(
          true,
          '',
          row === undefined ? null : renderTraffic(row, model.findClient(row.email), model.traits),
        ),
      );
    }
    default:
      return empty(404);
  }
}

/** Routes a G2 client request under `panel/api/clients/`. */
export function routeG2({ model, traits }: RouteContext, { method, parts, query, body }: ApiRequest): Answer {
  const [, action, param] = parts;
  const record = isRecord(body) ? body : {};
  const fields = traits.hasCycleFields ? MAIN_CLIENT_FIELD_TYPES : CLIENT_FIELD_TYPES;
  if (method === 'GET') {
    return routeReads(model, action ?? '', param, query);
  }
  if (method !== 'POST') {
    return empty(404);
  }
  switch (action ?? '') {
    case 'add': {
      const bound = bindClient(record.client, 'Client', fields);
      if (!bound.ok) {
        return json(failure(WENT_WRONG, bound.error));
      }
      const ids = Array.isArray(record.inboundIds)
        ? record.inboundIds.filter((id): id is number => typeof id === 'number')
        : [];
      return outcome(addClientG2(model, bound.client, ids), 'Inbound client(s) have been added.');
    }
    case 'update': {
      if (param === undefined) {
        return empty(404);
      }
      const bound = bindClient(body, 'Client', fields);
      if (!bound.ok) {
        return json(failure(WENT_WRONG, bound.error));
      }
      const ids = query.get('inboundIds');
      const inboundIds = ids === null ? undefined : ids.split(',').map(Number).filter(Number.isInteger);
      return outcome(
        updateClientG2(model, param, bound.client, inboundIds),
        'Inbound client has been updated.',
      );
    }
    case 'del':
      if (param === undefined) {
        return empty(404);
      }
      return outcome(deleteClientG2(model, param, false), 'Inbound client has been deleted.');
    case 'bulkEnable':
    case 'bulkDisable': {
      if (!traits.bulkEndpoints) {
        return empty(404);
      }
      const emails = Array.isArray(record.emails)
        ? record.emails.filter((email): email is string => typeof email === 'string')
        : undefined;
      if (emails === undefined) {
        return json(failure(WENT_WRONG, 'emails is required'));
      }
      const result = bulkSetEnable(model, emails, action === 'bulkEnable');
      return json(envelope(true, '', result.skipped.length > 0 ? result : { changed: result.changed }));
    }
    case 'resetTraffic':
      if (param === undefined) {
        return empty(404);
      }
      return outcome(model.resetTraffic(param), 'Traffic has been reset.');
    default:
      return empty(404);
  }
}
