/**
 * Leadership per panel (DESIGN.md §5): this replica owns a panel while it holds the session advisory
 * lock (LOCK_CLASS, panel id) on a dedicated connection. A heartbeat every lease/3 both confirms the
 * locks still held (pg_locks of our own backend) and tries to take free panels. A panel counts as
 * owned only while the last confirmation is younger than the lease, so a replica whose DB session
 * dies (or hangs) stops writing within KEYWARDEN_LEASE_TIMEOUT, while Postgres releases its locks
 * and another replica takes the panels over at its next heartbeat (the replica that lost its session
 * waits one lease before acquiring again).
 */
import pg from 'pg';
import { asPanelId, type PanelId } from '../domain/index.ts';
import type { Leadership } from '../reconciler/index.ts';
import { toError, type Logger } from '../shared/index.ts';

/** First key of the two-int advisory lock: "kwpl" as an int4, so other apps' locks never collide. */
export const LOCK_CLASS = 0x6b77706c;

/** Options of the advisory-lock leadership. */
export interface AdvisoryLeadershipOptions {
  readonly connectionString: string;
  readonly leaseTimeoutMs: number;
  readonly logger: Logger;
  /** Shown in pg_stat_activity's application_name and in `status`. */
  readonly replicaId: string;
  /** A panel was acquired (the daemon runs a pass over it) or lost. */
  readonly onChange?: (event: { panelId: PanelId; owned: boolean }) => void;
}

/** The running leadership. */
export interface AdvisoryLeadership extends Leadership {
  /** Panels currently owned (lease fresh). */
  ownedPanels(): ReadonlyArray<PanelId>;
  /** Runs one heartbeat now (tests, start-up). */
  beat(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the heartbeat; the first beat runs at once. */
export function startAdvisoryLeadership(options: AdvisoryLeadershipOptions): AdvisoryLeadership {
  const log = options.logger;
  const owned = new Set<PanelId>();
  /** One controller per owned panel, aborted the moment the panel is lost. */
  const ownership = new Map<PanelId, AbortController>();
  const lostSignal = AbortSignal.abort(new Error('this replica does not own the panel'));
  let confirmedAt = -Infinity;
  // After losing its session a replica waits one lease before taking panels again, so that another
  // replica takes them over instead of the flapping one winning the race back.
  let acquireAfter = -Infinity;
  let client: pg.Client | undefined;
  let isClosed = false;
  let beating: Promise<void> | undefined;
  const intervalMs = Math.max(100, Math.floor(options.leaseTimeoutMs / 3));

  const isFresh = (): boolean => performance.now() - confirmedAt < options.leaseTimeoutMs;

  function setOwned(next: ReadonlySet<PanelId>): void {
    for (const panelId of [...owned]) {
      if (!next.has(panelId)) {
        owned.delete(panelId);
        ownership.get(panelId)?.abort(new Error('panel ownership lost'));
        ownership.delete(panelId);
        if (isClosed) {
          log.info({ panelId }, 'panel lock released');
        } else {
          log.warn({ panelId }, 'panel lock lost; no more writes to this panel');
        }
        options.onChange?.({ panelId, owned: false });
      }
    }
    for (const panelId of next) {
      if (!owned.has(panelId)) {
        owned.add(panelId);
        ownership.set(panelId, new AbortController());
        log.info({ panelId, replica: options.replicaId }, 'panel lock acquired');
        options.onChange?.({ panelId, owned: true });
      }
    }
  }

  function dropConnection(): void {
    const old = client;
    client = undefined;
    acquireAfter = performance.now() + options.leaseTimeoutMs;
    // Ending the session releases its locks; the other replicas can take the panels at once.
    old?.end().catch(() => {
      // Already broken; nothing more to release.
    });
  }

  async function connect(): Promise<pg.Client> {
    const fresh = new pg.Client({
      connectionString: options.connectionString,
      application_name: `keywarden-lock ${options.replicaId}`.slice(0, 63),
      connectionTimeoutMillis: Math.max(1_000, intervalMs),
      query_timeout: Math.max(1_000, intervalMs),
      keepAlive: true,
    });
    // A terminated session emits `error`; without a listener that would crash the process.
    fresh.on('error', (error) => {
      log.warn({ err: error }, 'lock connection error');
      if (client === fresh) {
        dropConnection();
        setOwned(new Set());
      }
    });
    await fresh.connect();
    return fresh;
  }

  async function beatOnce(): Promise<void> {
    try {
      client ??= await connect();
      const { rows: held } = await client.query<{ objid: string }>(
        `select objid::text from pg_locks
         where locktype = 'advisory' and granted and pid = pg_backend_pid() and classid = $1::int::oid and objsubid = 2`,
        [LOCK_CLASS],
      );
      const next = new Set<PanelId>(held.map((row) => asPanelId(row.objid)));
      if (performance.now() >= acquireAfter) {
        const { rows: acquired } = await client.query<{ id: string }>(
          `select id::text from panels
           where is_enabled and not (id = any($2::bigint[])) and pg_try_advisory_lock($1, id::int)`,
          [LOCK_CLASS, [...next]],
        );
        for (const row of acquired) {
          next.add(asPanelId(row.id));
        }
      }
      confirmedAt = performance.now();
      setOwned(next);
      armStaleCheck();
    } catch (error) {
      log.warn({ err: toError(error) }, 'lock heartbeat failed; reconnecting');
      dropConnection();
      if (!isFresh()) {
        setOwned(new Set());
      }
    }
  }

  const beat = (): Promise<void> => {
    beating ??= beatOnce().finally(() => {
      beating = undefined;
    });
    return beating;
  };

  /** Gives up every panel the moment the lease goes stale, so in-flight writes abort on time. */
  let staleTimer: NodeJS.Timeout | undefined;
  function armStaleCheck(): void {
    clearTimeout(staleTimer);
    staleTimer = setTimeout(() => {
      if (!isFresh() && owned.size > 0) {
        log.warn({ leaseTimeoutMs: options.leaseTimeoutMs }, 'panel locks not confirmed within the lease');
        setOwned(new Set());
      }
    }, options.leaseTimeoutMs + 1);
    staleTimer.unref();
  }

  const timer = setInterval(() => {
    if (!isFresh() && owned.size > 0) {
      setOwned(new Set());
    }
    void beat();
  }, intervalMs);
  void beat();

  return {
    replicaId: options.replicaId,
    isOwned: (panelId) => owned.has(panelId) && isFresh(),
    ownershipSignal(panelId) {
      if (!isFresh() && owned.size > 0) {
        // The lease went stale between two heartbeats: give everything up now, not at the next tick.
        setOwned(new Set());
      }
      return ownership.get(panelId)?.signal ?? lostSignal;
    },
    ownedPanels: () => (isFresh() ? [...owned] : []),
    beat,
    async close() {
      if (isClosed) {
        return;
      }
      isClosed = true;
      clearInterval(timer);
      clearTimeout(staleTimer);
      await beating;
      setOwned(new Set());
      const old = client;
      client = undefined;
      await old?.end().catch((error: unknown) => {
        log.warn({ err: toError(error) }, 'closing the lock connection failed');
      });
    },
  };
}
