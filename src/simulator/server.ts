/**
 * A simulated 3x-ui panel: a real HTTP server on 127.0.0.1 that speaks G1 (v1.5–v3.0.2) or G2 (v3.1+)
 * with the quirks of reference/xui-api.md §11, plus fault switches, configurable latency, a request
 * log and direct state access for tests and the demo. It is not test code: `keywarden demo` runs two.
 *
 * Request pipeline: log → latency/fault (faults.ts) → base path (404 empty) → public routes and auth
 * (sessions.ts: csrf-token, login, logout; Bearer or cookie session, 404/401/307 by `unauthorized`
 * style; CSRF on unsafe cookie requests, 403 empty) → route (api-routes.ts, g1-routes.ts,
 * g2-routes.ts) → HTTP 200 envelope. The control surface is control.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  empty,
  failure,
  json,
  MAX_BODY_BYTES,
  normaliseBase,
  parseBody,
  WENT_WRONG,
  type Answer,
} from './answers.ts';
import { hasApiArea, routeApi, type RouteContext } from './api-routes.ts';
import { createModelControl, type LoggedRequest, type SimulatedPanel } from './control.ts';
import { createFaultSwitch, faultAnswer } from './faults.ts';
import { captureInboundsG1, type StaleInbounds } from './model/g1.ts';
import { PanelModel } from './model/store.ts';
import type { SimulatedPanelOptions } from './options.ts';
import { defaultTraits, PROFILE_TRAITS, type ProfileTraits } from './profiles.ts';
import { createSessionGate, type GateRequest } from './sessions.ts';

/** The traits of a panel: its profile's (or the generation's defaults), with explicit options on top. */
function resolveTraits(options: SimulatedPanelOptions): ProfileTraits {
  const profile = options.profile === undefined ? undefined : PROFILE_TRAITS[options.profile];
  if (
    profile !== undefined &&
    options.generation !== undefined &&
    options.generation !== profile.generation
  ) {
    throw new Error(
      `simulator: profile ${String(options.profile)} is ${profile.generation}, not ${options.generation}`,
    );
  }
  const generation = options.generation ?? profile?.generation;
  if (generation === undefined) {
    throw new Error('simulator: give a profile or a generation');
  }
  const base = profile ?? defaultTraits(generation);
  return {
    ...base,
    unauthorized: options.unauthorized ?? base.unauthorized,
    csrf: options.csrf ?? base.csrf,
    depletionStyle: options.depletionStyle ?? base.depletionStyle,
    bulkEndpoints: options.bulkEndpoints ?? base.bulkEndpoints,
    panelVersion: options.panelVersion ?? base.panelVersion,
  };
}

/** Starts a simulated panel on 127.0.0.1 with a free port. */
export async function startSimulatedPanel(options: SimulatedPanelOptions): Promise<SimulatedPanel> {
  const traits = resolveTraits(options);
  const generation = traits.generation;
  const base = normaliseBase(options.webBasePath);
  const baseNow = options.now ?? Date.now;
  let clockOffsetMs = options.clockOffsetMs ?? 0;
  const now = (): number => baseNow() + clockOffsetMs;
  const model = new PanelModel(traits, now);
  const gate = createSessionGate({
    base,
    isCsrfOn: traits.csrf,
    unauthorized: traits.unauthorized,
    username: options.username ?? 'admin',
    password: options.password ?? 'admin',
    tokens: [...(options.token === undefined ? [] : [{ token: options.token }]), ...(options.tokens ?? [])],
    hasApiTokens: traits.hasApiTokens,
    hasTokenScopes: traits.hasTokenScopes,
    cookiePath: traits.cookiePath,
    now,
  });
  const routes: RouteContext = { model, traits };
  const faults = createFaultSwitch();
  let latencyMs = options.latencyMs ?? 0;
  const log: LoggedRequest[] = [];
  const openSockets = new Set<Socket>();

  function handle(
    req: IncomingMessage,
    rawBody: string,
    isTooLarge: boolean,
    setCookie: (value: string) => void,
    staleInbounds: StaleInbounds | undefined,
  ): Answer {
    const url = new URL(req.url ?? '/', 'http://panel');
    // §1: with `webDomain` set, a request for another host (port stripped) is 403 empty, before routing.
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (options.webDomain !== undefined && options.webDomain !== '' && host !== options.webDomain) {
      return empty(403);
    }
    if (!url.pathname.startsWith(base)) {
      return empty(404);
    }
    const request: GateRequest = {
      req,
      method: req.method ?? 'GET',
      path: url.pathname.slice(base.length),
      rawBody,
      setCookie,
    };
    const publicAnswer = gate.handlePublic(request);
    if (publicAnswer !== undefined) {
      return publicAnswer;
    }
    if (!request.path.startsWith('panel/api/')) {
      return empty(404);
    }
    const refusal = gate.authorize(request);
    if (refusal !== undefined) {
      return refusal;
    }
    if (isTooLarge) {
      return json(failure(WENT_WRONG, 'http: request body too large'));
    }
    const parsed = parseBody(req, rawBody);
    if (!parsed.ok) {
      return json(failure(WENT_WRONG, parsed.error));
    }
    return routeApi(
      staleInbounds === undefined ? routes : { ...routes, staleInbounds },
      request.method,
      request.path.slice('panel/api/'.length),
      url.searchParams,
      parsed.value,
    );
  }

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
      }
    });
    req.on('end', () => {
      void respond(req, res, Buffer.concat(chunks).toString('utf8'), size > MAX_BODY_BYTES);
    });
  });
  server.on('connection', (socket) => {
    openSockets.add(socket);
    socket.on('close', () => openSockets.delete(socket));
  });

  async function respond(
    req: IncomingMessage,
    res: ServerResponse,
    rawBody: string,
    isTooLarge: boolean,
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://panel');
    const path = url.pathname.startsWith(base) ? url.pathname.slice(base.length) : url.pathname;
    log.push({ method: req.method ?? 'GET', path, query: url.search, atMs: now() });
    const current = faults.take(path);
    // A slow G1 write reads its inbound now and saves it when it lands (model/g1.ts).
    const staleInbounds =
      current?.kind === 'slow' && generation === 'g1' && req.method === 'POST'
        ? captureInboundsG1(model)
        : undefined;
    if (latencyMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, latencyMs));
    }
    if (current?.kind === 'slow') {
      await new Promise((resolve) => setTimeout(resolve, current.delayMs));
    }
    if (current?.kind === 'hang') {
      return; // Never answer; the socket stays open until the client aborts or the panel closes.
    }
    if (current?.kind === 'down') {
      req.socket.destroy();
      return;
    }
    let answer = faultAnswer(current, path.startsWith('panel/api/'), hasApiArea(generation, path));
    if (answer === undefined) {
      if (current?.kind === 'sessions-dropped') {
        gate.dropSessions();
      }
      const cookies: string[] = [];
      answer = handle(req, rawBody, isTooLarge, (value) => cookies.push(value), staleInbounds);
      if (cookies.length > 0) {
        res.setHeader('set-cookie', cookies);
      }
    }
    res.statusCode = answer.status;
    // Go's net/http writes the Date header from the host clock; a skewed panel host shows it here.
    res.setHeader('date', new Date(now()).toUTCString());
    for (const [name, value] of Object.entries(answer.headers ?? {})) {
      res.setHeader(name, value);
    }
    res.end(answer.body);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${String(port)}${base}`;
  const jobIntervalMs = options.jobIntervalMs ?? 5_000;
  const job =
    jobIntervalMs > 0
      ? setInterval(() => {
          model.runTrafficJob();
        }, jobIntervalMs)
      : undefined;
  job?.unref();
  let isListening = true;
  let isClosed = false;

  async function stopListening(): Promise<void> {
    if (!isListening) {
      return;
    }
    isListening = false;
    const closed = new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
    for (const socket of openSockets) {
      socket.destroy();
    }
    await closed;
  }

  async function startListening(): Promise<void> {
    if (isListening || isClosed) {
      return;
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    isListening = true;
  }

  return {
    url,
    generation,
    model,
    ...createModelControl(model),
    setCredentials: (nextUsername, nextPassword) => {
      gate.setCredentials(nextUsername, nextPassword);
    },
    dropSessions: () => {
      gate.dropSessions();
    },
    setFault: async (next, scope = {}) => {
      if (next.kind === 'down' && next.mode === 'refuse') {
        faults.clear();
        await stopListening();
        return;
      }
      faults.set(next, scope);
    },
    clearFault: async () => {
      faults.clear();
      await startListening();
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    setClockOffset: (ms) => {
      clockOffsetMs = ms;
    },
    requests: () => [...log],
    clearRequests: () => {
      log.length = 0;
    },
    close: async () => {
      if (isClosed) {
        return;
      }
      if (job !== undefined) {
        clearInterval(job);
      }
      await stopListening();
      isClosed = true;
    },
  };
}
