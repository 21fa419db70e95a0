/**
 * Routes under `{base}panel/api/` once a request is authenticated: the inbound routes both generations
 * share, then the G1 client routes (under `inbounds/`) or the G2 ones (under `clients/`). An unknown
 * route is 404 with an empty body (reference/xui-api.md §1).
 */
import { empty, envelope, failure, isRecord, json, WENT_WRONG, type Answer } from './answers.ts';
import { routeG1 } from './g1-routes.ts';
import { routeG2 } from './g2-routes.ts';
import type { StaleInbounds } from './model/g1.ts';
import type { PanelModel } from './model/store.ts';
import type { ProfileTraits } from './profiles.ts';
import { renderInbound } from './render.ts';

/** What the routes act on. */
export interface RouteContext {
  readonly model: PanelModel;
  /** What the panel's version does differently (bulk routes, traffic answers, status fields). */
  readonly traits: ProfileTraits;
  /**
   * G1, a slow write: the inbounds as the request read them when it arrived; a client write saves
   * its inbound's settings from this copy (model/g1.ts `saveStaleSettingsG1`).
   */
  readonly staleInbounds?: StaleInbounds;
}

/**
 * `GET server/status` (every generation): the `xray` block and, from v3.1.0, `panelVersion` — the only
 * place the API tells the panel's version.
 */
function serverStatus({ traits }: RouteContext): Answer {
  return json(
    envelope(true, '', {
      cpu: 3.5,
      mem: { current: 412_000_000, total: 2_000_000_000 },
      xray: { state: 'running', errorMsg: '', version: traits.xrayVersion },
      uptime: 86_400,
      ...(traits.panelVersion === undefined ? {} : { panelVersion: traits.panelVersion }),
    }),
  );
}

/** One authenticated API request; `parts` is the path after `panel/api/`, split and decoded. */
export interface ApiRequest {
  readonly method: string;
  readonly parts: ReadonlyArray<string>;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

/**
 * Whether `path` (after the base path) lies in an API area this generation serves: `server/`,
 * `inbounds/`, and on G2 `clients/`. Elsewhere gin answers 404 before any handler runs, so a
 * handler's failure (`success:false`, a truncated body) cannot show there.
 */
export function hasApiArea(generation: 'g1' | 'g2', path: string): boolean {
  const area = path.startsWith('panel/api/') ? path.slice('panel/api/'.length).split('/', 1)[0] : undefined;
  return area === 'server' || area === 'inbounds' || (area === 'clients' && generation === 'g2');
}

/** Routes one authenticated request under `panel/api/` (`route` excludes that prefix). */
export function routeApi(
  context: RouteContext,
  method: string,
  route: string,
  query: URLSearchParams,
  body: unknown,
): Answer {
  const { model } = context;
  const parts = route.split('/').map((part) => decodeURIComponent(part));
  const [area, action, param] = parts;
  const request: ApiRequest = { method, parts, query, body };
  const bodyRecord = isRecord(body) ? body : {};
  if (area === 'server' && action === 'status' && parts.length === 2 && method === 'GET') {
    return serverStatus(context);
  }
  if (area === 'inbounds') {
    if (method === 'GET' && action === 'list' && parts.length === 2) {
      const list = [...model.inbounds.values()].map((inbound) => renderInbound(model, inbound));
      return json(envelope(true, '', list));
    }
    if (method === 'GET' && action === 'get' && param !== undefined) {
      const inbound = model.inbounds.get(Number(param));
      return inbound === undefined
        ? json(envelope(false, 'Obtain (record not found)', null))
        : json(envelope(true, '', renderInbound(model, inbound)));
    }
    if (method === 'POST' && action === 'setEnable' && param !== undefined) {
      const inbound = model.inbounds.get(Number(param));
      if (inbound === undefined) {
        return json(failure(WENT_WRONG, 'record not found'));
      }
      inbound.enable = bodyRecord.enable === true || bodyRecord.enable === 'true';
      return json(envelope(true, 'Inbound has been updated.', null));
    }
    if (model.generation === 'g1') {
      return routeG1(context, request);
    }
    return empty(404);
  }
  if (area === 'clients' && model.generation === 'g2') {
    return routeG2(context, request);
  }
  return empty(404);
}
