/**
 * The adoption planner (docs/migrating.md): for every client on the panels in scope, who owns it and
 * what access the old shop sold them, as one of five verdicts:
 *
 *   managed     a key of keywarden already names the client (nothing to do)
 *   skipped     keywarden cannot carry the client's identity (duplicate email, an email or UUID the
 *               key table cannot hold, a protocol keys are not issued on); stays an orphan
 *   ambiguous   the deciding source names two or more users; not adopted, stays an orphan
 *   unmatched   no source names an owner; stays an orphan, untouched
 *   adopt       becomes a key of user (Telegram id) X with the client's identity, and X gets an
 *               `import` period until T (or none)
 *
 * Owners: the sources in the operator's order; the first that names anyone decides; owners named by
 * later sources are kept as disagreements for the operator to see. Access: the CSV's paid_until for
 * that email and owner, else the client's own expiryTime (> 0 a deadline; < 0 3x-ui's "start after
 * first use": the duration runs from adoption, as 3x-ui's subscription reports it while unused), else
 * none. Pure: the clock is an argument; nothing here reads a panel or the database.
 */
import {
  asInboundId,
  fingerprintText,
  type ClientEmail,
  type InboundId,
  type KeyId,
  type ObservedClient,
  type PanelId,
  type PanelObservation,
} from '../domain/index.ts';
import type { CsvClaim } from './csv.ts';
import { telegramIdByPattern, type OwnerSource, type OwnerSourceName } from './owner-sources.ts';

/** One panel as the planner sees it. */
export interface AdoptionPanel {
  readonly panelId: PanelId;
  readonly name: string;
  readonly observation: PanelObservation;
  /**
   * The panel's keys (revoked ones too) by lower-cased email (3x-ui compares emails that way), with
   * their owner's Telegram id: a managed client's owner also owns the clients sharing its subId.
   */
  readonly managed: ReadonlyMap<string, ManagedKey>;
}

/** A key keywarden already has for a client. */
export interface ManagedKey {
  readonly keyId: KeyId;
  readonly telegramId: number;
}

/** What to plan from. */
export interface AdoptionInput {
  readonly panels: ReadonlyArray<AdoptionPanel>;
  readonly sources: ReadonlyArray<OwnerSource>;
  /** The old bot's CSV, parsed; empty without one. */
  readonly csv: ReadonlyArray<CsvClaim>;
  /** Plan code for import periods whose CSV line names none (`--plan`); null = no plan. */
  readonly defaultPlanCode: string | null;
  /** The DB clock. */
  readonly now: Date;
}

/** One user named as owner, and by which source. */
export interface OwnerClaim {
  readonly telegramId: number;
  readonly source: OwnerSourceName;
}

/** The access an adopted client carries into keywarden. */
export type AdoptedAccess =
  | { readonly kind: 'until'; readonly until: Date; readonly from: 'csv' | 'expiry' }
  /** 3x-ui's delayed start (negative expiryTime): `durationMs` from the moment of adoption. */
  | { readonly kind: 'delayed-start'; readonly until: Date; readonly durationMs: number }
  | { readonly kind: 'none' };

/** The client's identity, kept by the key so the customer's config and links keep working. */
export interface AdoptedIdentity {
  /** vmess/vless id (a UUID); null on other protocols (the key gets a random one it never uses). */
  readonly uuid: string | null;
  /** trojan/shadowsocks password; null on other protocols. */
  readonly secret: string | null;
  /** The client's subId; null when it has none (the key gets its own). */
  readonly subId: string | null;
  readonly flow: string;
}

/** What the planner saw of a client, on every verdict. */
export interface ClientFacts {
  readonly panelId: PanelId;
  readonly panelName: string;
  readonly email: ClientEmail;
  readonly inboundId: InboundId;
  readonly protocol: string;
  /** Whether the panel serves the client now (inbound, client and traffic row all enabled). */
  readonly isServed: boolean;
  readonly expiryTimeMs: number;
  readonly usedBytes: number;
  readonly totalBytes: number;
}

/** The verdict on one client. */
export type AdoptionVerdict =
  | (ClientFacts & {
      readonly kind: 'adopt';
      readonly telegramId: number;
      readonly matchedBy: OwnerSourceName;
      readonly access: AdoptedAccess;
      readonly planCode: string | null;
      readonly identity: AdoptedIdentity;
      /** Owners named by sources after the deciding one that differ from it (shown, not acted on). */
      readonly disagreements: ReadonlyArray<OwnerClaim>;
    })
  | (ClientFacts & {
      readonly kind: 'ambiguous';
      readonly matchedBy: OwnerSourceName;
      readonly claims: ReadonlyArray<OwnerClaim>;
    })
  | (ClientFacts & { readonly kind: 'unmatched' })
  | (ClientFacts & { readonly kind: 'managed'; readonly keyId: KeyId })
  | (ClientFacts & { readonly kind: 'skipped'; readonly reason: string });

/** Kinds of verdict, in the order tables list them. */
export const VERDICT_KINDS = ['adopt', 'ambiguous', 'unmatched', 'managed', 'skipped'] as const;
/** The kind of a verdict. */
export type VerdictKind = (typeof VERDICT_KINDS)[number];

/** The import period one user gets on one panel: up to the latest access of their clients there. */
export interface AdoptionPeriod {
  readonly panelId: PanelId;
  readonly telegramId: number;
  readonly access: Exclude<AdoptedAccess, { kind: 'none' }>;
  readonly planCode: string | null;
}

/** Counts for the operator. */
export interface AdoptionTotals {
  readonly clients: number;
  readonly byKind: Readonly<Record<VerdictKind, number>>;
  /** Distinct owners of adopted clients. */
  readonly users: number;
  /** Adopted clients whose access runs past now / ended by now / with no access at all. */
  readonly paid: number;
  readonly ended: number;
  readonly noAccess: number;
  /** Adopted clients some later source would have given to someone else. */
  readonly disagreements: number;
  /** CSV lines naming an email that no client on the panels in scope has. */
  readonly csvUnused: number;
}

/** The whole plan. */
export interface AdoptionPlan {
  readonly now: Date;
  readonly verdicts: ReadonlyArray<AdoptionVerdict>;
  readonly periods: ReadonlyArray<AdoptionPeriod>;
  readonly csvUnused: ReadonlyArray<CsvClaim>;
  readonly totals: AdoptionTotals;
  /** Per panel: the fingerprint of what applying would write there. */
  readonly panelFingerprints: ReadonlyMap<PanelId, string>;
  /** The plan's fingerprint (over every panel's), confirmed by `adopt apply --fingerprint`. */
  readonly fingerprint: string;
}

/** Protocols keys are issued on (src/db KEY_PROTOCOLS); other clients are skipped. */
const ADOPTABLE_PROTOCOLS: ReadonlySet<string> = new Set(['vless', 'vmess', 'trojan', 'shadowsocks']);
/** `vpn_keys.email`'s rule (migrations/001_schema.sql): no `/`, `\`, whitespace or control, 1–64. */
const KEY_EMAIL = /^[^/\\\s\p{Cc}]{1,64}$/u;
/** Orders emails for people (case-insensitive); a collator is much faster than localeCompare. */
const EMAIL_ORDER = new Intl.Collator('en', { sensitivity: 'base', numeric: true });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function skipReason(client: ObservedClient, protocol: string, isDuplicate: boolean): string | null {
  if (isDuplicate) {
    return 'the email is on the panel more than once';
  }
  if (!KEY_EMAIL.test(client.email)) {
    return 'the email has a /, \\, a space or a control character, or is longer than 64';
  }
  if (!ADOPTABLE_PROTOCOLS.has(protocol)) {
    return `keys are not kept on ${protocol === '' ? 'an unknown' : protocol} inbounds`;
  }
  if ((protocol === 'vless' || protocol === 'vmess') && !UUID.test(client.uuid ?? '')) {
    return 'the client id is not a UUID';
  }
  if ((protocol === 'trojan' || protocol === 'shadowsocks') && (client.password ?? '') === '') {
    return 'the client has no password';
  }
  return null;
}

interface Candidate {
  readonly facts: ClientFacts;
  readonly client: ObservedClient;
}

const distinctOwners = (claims: ReadonlyArray<OwnerClaim>): number[] =>
  [...new Set(claims.map((claim) => claim.telegramId))].sort((a, b) => a - b);

/** Plans the adoption of every client on `input.panels`. */
export function planAdoption(input: AdoptionInput): AdoptionPlan {
  const { now } = input;
  const csvByEmail = new Map<string, CsvClaim[]>();
  for (const claim of input.csv) {
    const key = claim.email.toLowerCase();
    csvByEmail.set(key, [...(csvByEmail.get(key) ?? []), claim]);
  }
  const verdicts: AdoptionVerdict[] = [];
  const candidates: Candidate[] = [];
  const seenEmails = new Set<string>();
  const managedOwners: Array<{ readonly subId: string; readonly telegramId: number }> = [];
  for (const panel of input.panels) {
    const inbounds = new Map(panel.observation.inbounds.map((inbound) => [inbound.id, inbound]));
    const duplicates = new Set(panel.observation.duplicateEmails.map((email) => email.toLowerCase()));
    const clients = [...panel.observation.clients.values()].sort((a, b) =>
      EMAIL_ORDER.compare(a.email, b.email),
    );
    for (const client of clients) {
      const lower = client.email.toLowerCase();
      seenEmails.add(lower);
      const inboundId = client.inboundIds[0] ?? asInboundId(0);
      const protocol = inbounds.get(inboundId)?.protocol ?? '';
      const facts: ClientFacts = {
        panelId: panel.panelId,
        panelName: panel.name,
        email: client.email,
        inboundId,
        protocol,
        isServed: client.isEffectivelyEnabled,
        expiryTimeMs: client.expiryTimeMs,
        usedBytes: client.upBytes + client.downBytes,
        totalBytes: client.totalBytes,
      };
      const managed = panel.managed.get(lower);
      if (managed !== undefined) {
        verdicts.push({ ...facts, kind: 'managed', keyId: managed.keyId });
        if (client.subId !== '') {
          managedOwners.push({ subId: client.subId, telegramId: managed.telegramId });
        }
        continue;
      }
      const reason = skipReason(client, protocol, duplicates.has(lower));
      if (reason !== null) {
        verdicts.push({ ...facts, kind: 'skipped', reason });
        continue;
      }
      candidates.push({ facts, client });
    }
  }

  const claimsOf = (candidate: Candidate, source: OwnerSource, groups: Map<string, Set<number>>) => {
    const { client } = candidate;
    switch (source.kind) {
      case 'tgid':
        return client.tgId > 0 && Number.isSafeInteger(client.tgId)
          ? [{ telegramId: client.tgId, source: 'tgid' as const }]
          : [];
      case 'email': {
        const found = telegramIdByPattern(source.pattern, client.email);
        return found === null ? [] : [{ telegramId: found, source: 'email' as const }];
      }
      case 'csv':
        return (csvByEmail.get(client.email.toLowerCase()) ?? []).map((claim) => ({
          telegramId: claim.telegramId,
          source: 'csv' as const,
        }));
      case 'subid': {
        if (source.pattern !== null) {
          const found = telegramIdByPattern(source.pattern, client.subId);
          return found === null ? [] : [{ telegramId: found, source: 'subid' as const }];
        }
        const owners = client.subId === '' ? undefined : groups.get(client.subId);
        return [...(owners ?? [])].map((telegramId) => ({ telegramId, source: 'subid' as const }));
      }
    }
  };

  // Pass 1: decide with every source but the subId group; pass 2 adds the group, built from the
  // owners pass 1 decided (a client's own decision is kept out of its group).
  const decide = (candidate: Candidate, groups: Map<string, Set<number>>, withGroup: boolean) => {
    let deciding: OwnerClaim[] | null = null;
    const later: OwnerClaim[] = [];
    for (const source of input.sources) {
      if (!withGroup && source.kind === 'subid' && source.pattern === null) {
        continue;
      }
      const claims = claimsOf(candidate, source, groups);
      if (deciding === null) {
        if (claims.length > 0) {
          deciding = claims;
        }
      } else {
        later.push(...claims);
      }
    }
    return { deciding, later };
  };
  const firstPass = candidates.map((candidate) => decide(candidate, new Map(), false));
  // Per subId, how many clients belong to each owner (managed keys, and what pass 1 decided); a
  // client's own decision is taken out of the group it reads (the group is evidence from the
  // customer's other clients).
  const groupCounts = new Map<string, Map<number, number>>();
  for (const { subId, telegramId } of managedOwners) {
    const counts = groupCounts.get(subId) ?? new Map<number, number>();
    counts.set(telegramId, (counts.get(telegramId) ?? 0) + 1);
    groupCounts.set(subId, counts);
  }
  firstPass.forEach((decision, index) => {
    const subId = candidates[index]?.client.subId ?? '';
    if (subId === '' || decision.deciding === null) {
      return;
    }
    const counts = groupCounts.get(subId) ?? new Map<number, number>();
    for (const owner of distinctOwners(decision.deciding)) {
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
    }
    groupCounts.set(subId, counts);
  });
  const groupOwners = (index: number): Map<string, Set<number>> => {
    const subId = candidates[index]?.client.subId ?? '';
    const counts = groupCounts.get(subId);
    if (subId === '' || counts === undefined) {
      return new Map();
    }
    const own = new Set(distinctOwners(firstPass[index]?.deciding ?? []));
    const owners = new Set<number>();
    for (const [owner, count] of counts) {
      if (count - (own.has(owner) ? 1 : 0) > 0) {
        owners.add(owner);
      }
    }
    return new Map([[subId, owners]]);
  };
  const usesGroup = input.sources.some((source) => source.kind === 'subid' && source.pattern === null);

  const periods = new Map<string, AdoptionPeriod>();
  candidates.forEach((candidate, index) => {
    const { facts, client } = candidate;
    const { deciding, later } = usesGroup
      ? decide(candidate, groupOwners(index), true)
      : (firstPass[index] ?? { deciding: null, later: [] });
    if (deciding === null) {
      verdicts.push({ ...facts, kind: 'unmatched' });
      return;
    }
    const matchedBy = deciding[0]?.source ?? 'tgid';
    const owners = distinctOwners(deciding);
    const owner = owners[0];
    if (owners.length > 1 || owner === undefined) {
      verdicts.push({
        ...facts,
        kind: 'ambiguous',
        matchedBy,
        claims: owners.map((telegramId) => ({ telegramId, source: matchedBy })),
      });
      return;
    }
    const csvLine = (csvByEmail.get(client.email.toLowerCase()) ?? []).find(
      (claim) => claim.telegramId === owner,
    );
    let access: AdoptedAccess;
    if (csvLine?.paidUntil != null) {
      access = { kind: 'until', until: csvLine.paidUntil, from: 'csv' };
    } else if (client.expiryTimeMs > 0) {
      access = { kind: 'until', until: new Date(client.expiryTimeMs), from: 'expiry' };
    } else if (client.expiryTimeMs < 0) {
      const durationMs = -client.expiryTimeMs;
      access = { kind: 'delayed-start', until: new Date(now.getTime() + durationMs), durationMs };
    } else {
      access = { kind: 'none' };
    }
    const planCode = csvLine?.planCode ?? input.defaultPlanCode;
    const seen = new Set<string>();
    const disagreements = later.filter((claim) => {
      const key = `${claim.source}:${String(claim.telegramId)}`;
      if (claim.telegramId === owner || seen.has(key)) {
        return false;
      }
      seen.add(key);
      return true;
    });
    verdicts.push({
      ...facts,
      kind: 'adopt',
      telegramId: owner,
      matchedBy,
      access,
      planCode,
      identity: {
        uuid: facts.protocol === 'vless' || facts.protocol === 'vmess' ? (client.uuid ?? null) : null,
        secret:
          facts.protocol === 'trojan' || facts.protocol === 'shadowsocks' ? (client.password ?? null) : null,
        subId: client.subId === '' ? null : client.subId,
        flow: client.flow,
      },
      disagreements,
    });
    if (access.kind !== 'none') {
      const key = `${facts.panelId}\n${String(owner)}`;
      const current = periods.get(key);
      if (current === undefined || current.access.until.getTime() < access.until.getTime()) {
        periods.set(key, { panelId: facts.panelId, telegramId: owner, access, planCode });
      }
    }
  });

  const panelOrder = new Map(input.panels.map((panel, index) => [panel.panelId, index]));
  verdicts.sort(
    (a, b) =>
      (panelOrder.get(a.panelId) ?? 0) - (panelOrder.get(b.panelId) ?? 0) ||
      EMAIL_ORDER.compare(a.email, b.email),
  );
  const csvUnused = input.csv.filter((claim) => !seenEmails.has(claim.email.toLowerCase()));
  const panelFingerprints = new Map<PanelId, string>();
  for (const panel of input.panels) {
    const lines = verdicts
      .filter((verdict) => verdict.panelId === panel.panelId && verdict.kind === 'adopt')
      .map((verdict) => (verdict.kind === 'adopt' ? adoptionLine(verdict) : ''))
      .sort();
    panelFingerprints.set(panel.panelId, fingerprintText(`${panel.panelId}\n${lines.join('\n')}`));
  }
  return {
    now,
    verdicts,
    periods: [...periods.values()],
    csvUnused,
    totals: totalsOf(verdicts, now, csvUnused.length),
    panelFingerprints,
    fingerprint: combineFingerprints(panelFingerprints),
  };
}

/** The canonical text of one adoption: everything `adopt apply` writes for it. */
function adoptionLine(verdict: Extract<AdoptionVerdict, { kind: 'adopt' }>): string {
  const access =
    verdict.access.kind === 'none'
      ? 'none'
      : verdict.access.kind === 'delayed-start'
        ? `delayed:${String(verdict.access.durationMs)}`
        : `until:${String(verdict.access.until.getTime())}`;
  const { uuid, secret, subId, flow } = verdict.identity;
  return [
    verdict.email,
    String(verdict.inboundId),
    String(verdict.telegramId),
    access,
    verdict.planCode ?? '',
    uuid ?? '',
    secret ?? '',
    subId ?? '',
    flow,
  ].join('\u001f');
}

/** The plan fingerprint from its panels' fingerprints (order-independent). */
export function combineFingerprints(panelFingerprints: ReadonlyMap<PanelId, string>): string {
  return fingerprintText(
    [...panelFingerprints]
      .map(([panelId, fingerprint]) => `${panelId}:${fingerprint}`)
      .sort()
      .join(','),
  );
}

function totalsOf(verdicts: ReadonlyArray<AdoptionVerdict>, now: Date, csvUnused: number): AdoptionTotals {
  const byKind: Record<VerdictKind, number> = {
    adopt: 0,
    ambiguous: 0,
    unmatched: 0,
    managed: 0,
    skipped: 0,
  };
  const users = new Set<number>();
  let paid = 0;
  let ended = 0;
  let noAccess = 0;
  let disagreements = 0;
  for (const verdict of verdicts) {
    byKind[verdict.kind] += 1;
    if (verdict.kind !== 'adopt') {
      continue;
    }
    users.add(verdict.telegramId);
    if (verdict.access.kind === 'none') {
      noAccess += 1;
    } else if (verdict.access.until.getTime() > now.getTime()) {
      paid += 1;
    } else {
      ended += 1;
    }
    if (verdict.disagreements.length > 0) {
      disagreements += 1;
    }
  }
  return {
    clients: verdicts.length,
    byKind,
    users: users.size,
    paid,
    ended,
    noAccess,
    disagreements,
    csvUnused,
  };
}
