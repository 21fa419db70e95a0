/**
 * API token scopes (main, PR #6201; reference/xui-api.md §2.5): `admin` may call everything, `monitor`
 * only GET/HEAD of status and history routes, `node-sync` an allowlist of routes and methods. A route
 * that exists but lies outside the scope is answered 403 with a JSON envelope; an unknown route stays
 * 404 (the check runs in the route group's middleware, which unknown routes never reach).
 */
import type { Answer } from './answers.ts';

/** A token's scope; an empty scope counts as admin. */
export type TokenScope = 'admin' | 'monitor' | 'node-sync';

/** Route patterns relative to `panel/api/` that the monitor scope may GET (main `monitorScopeAllow`, the part the simulator serves). */
const MONITOR_ALLOW: ReadonlySet<string> = new Set(['server/status']);

/** Route patterns and methods the node-sync scope may call (main `nodeSyncScopeAllow`, the part the simulator serves). */
const NODE_SYNC_ALLOW: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['server/status', new Set(['GET'])],
  ['inbounds/list', new Set(['GET'])],
  ['clients/add', new Set(['POST'])],
  ['clients/del/:email', new Set(['POST'])],
  ['clients/update/:email', new Set(['POST'])],
  ['clients/resetTraffic/:email', new Set(['POST'])],
]);

/** The routes a simulated G2 panel serves, as gin patterns (method, pattern). */
const G2_ROUTES: ReadonlyArray<readonly [string, RegExp, string]> = [
  ['GET', /^server\/status$/, 'server/status'],
  ['GET', /^inbounds\/list$/, 'inbounds/list'],
  ['GET', /^inbounds\/get\/[^/]+$/, 'inbounds/get/:id'],
  ['POST', /^inbounds\/setEnable\/[^/]+$/, 'inbounds/setEnable/:id'],
  ['GET', /^clients\/list$/, 'clients/list'],
  ['GET', /^clients\/list\/paged$/, 'clients/list/paged'],
  ['GET', /^clients\/get\/[^/]+$/, 'clients/get/:email'],
  ['GET', /^clients\/traffic\/[^/]+$/, 'clients/traffic/:email'],
  ['POST', /^clients\/add$/, 'clients/add'],
  ['POST', /^clients\/update\/[^/]+$/, 'clients/update/:email'],
  ['POST', /^clients\/del\/[^/]+$/, 'clients/del/:email'],
  ['POST', /^clients\/bulkEnable$/, 'clients/bulkEnable'],
  ['POST', /^clients\/bulkDisable$/, 'clients/bulkDisable'],
  ['POST', /^clients\/resetTraffic\/[^/]+$/, 'clients/resetTraffic/:email'],
];

/** The gin pattern a G2 request matches, or undefined for an unknown route. */
function routePattern(method: string, route: string): string | undefined {
  const effective = method === 'HEAD' ? 'GET' : method;
  return G2_ROUTES.find(([routeMethod, regex]) => routeMethod === effective && regex.test(route))?.[2];
}

/**
 * The refusal for a scoped token calling `route` (relative to `panel/api/`), or undefined when the
 * call may go on (admin scope, allowed route, or an unknown route that will 404 anyway).
 */
export function scopeRefusal(scope: TokenScope, method: string, route: string): Answer | undefined {
  if (scope === 'admin') {
    return undefined;
  }
  const pattern = routePattern(method, route);
  if (pattern === undefined) {
    return undefined;
  }
  const isAllowed =
    scope === 'monitor'
      ? MONITOR_ALLOW.has(pattern) && (method === 'GET' || method === 'HEAD')
      : NODE_SYNC_ALLOW.get(pattern)?.has(method) === true;
  if (isAllowed) {
    return undefined;
  }
  // gin's AbortWithStatusJSON of `gin.H{"success": false, "msg": ...}`: keys sorted, no `obj`.
  return {
    status: 403,
    body: JSON.stringify({ msg: 'this API token is not permitted to access this endpoint', success: false }),
    headers: { 'content-type': 'application/json; charset=utf-8' },
  };
}
