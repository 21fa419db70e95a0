/**
 * How 3x-ui's Go handlers bind JSON into its `model.Client` struct: known keys must have the Go
 * type (else `json: cannot unmarshal ...`, reference/xui-api.md §3), unknown keys are ignored, and
 * missing keys keep the zero value. The simulator uses this so a client that sends a numeric `id`
 * (a G2 ClientRecord sent back as-is, §4.3) fails exactly like the real panel.
 */

/** Go type of one `model.Client` field as the panel declares it. */
type GoType = 'string' | 'int64' | 'bool' | 'stringSlice';

/** The `model.Client` fields the simulator knows, with their Go types. */
export const CLIENT_FIELD_TYPES = {
  id: 'string',
  password: 'string',
  auth: 'string',
  email: 'string',
  enable: 'bool',
  expiryTime: 'int64',
  totalGB: 'int64',
  limitIp: 'int64',
  tgId: 'int64',
  subId: 'string',
  flow: 'string',
  security: 'string',
  reset: 'int64',
  comment: 'string',
  group: 'string',
  created_at: 'int64',
  updated_at: 'int64',
  allowedIPs: 'stringSlice',
  secret: 'string',
  adTag: 'string',
  method: 'string',
} as const satisfies Record<string, GoType>;

/**
 * The fields main (3.7+) adds: the renewal and traffic-reset cycle on `model.Client`, and `limitHwid`,
 * which the update handler binds next to the client (top level of the body) and add binds inside it.
 */
export const MAIN_CLIENT_FIELD_TYPES = {
  ...CLIENT_FIELD_TYPES,
  resetDay: 'int64',
  resetMax: 'int64',
  trafficReset: 'string',
  trafficResetDay: 'int64',
  limitHwid: 'int64',
} as const satisfies Record<string, GoType>;

/** A decoded client body: only keys that were present (so "omitted" stays visible). */
export type DecodedClient = {
  -readonly [K in keyof typeof MAIN_CLIENT_FIELD_TYPES]?: (typeof MAIN_CLIENT_FIELD_TYPES)[K] extends 'string'
    ? string
    : (typeof MAIN_CLIENT_FIELD_TYPES)[K] extends 'bool'
      ? boolean
      : (typeof MAIN_CLIENT_FIELD_TYPES)[K] extends 'int64'
        ? number
        : string[];
};

/** Outcome of binding: the decoded client plus any keys the struct does not know, or Go's error text. */
export type BindResult =
  | { readonly ok: true; readonly client: DecodedClient; readonly extra: Record<string, unknown> }
  | { readonly ok: false; readonly error: string };

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) {
    return 'array';
  }
  if (typeof value === 'object') {
    return 'object';
  }
  return typeof value === 'boolean' ? 'bool' : typeof value;
}

function unmarshalError(value: unknown, struct: string, field: string, goType: string): string {
  const shown = typeof value === 'number' ? `number ${String(value)}` : jsonKind(value);
  return `json: cannot unmarshal ${shown} into Go struct field ${struct}.${field} of type ${goType}`;
}

/** Binds a JSON value into `model.Client` with Go's rules (`fields`: the struct of the panel's version). */
export function bindClient(
  value: unknown,
  struct = 'Client',
  fields: Readonly<Record<string, GoType>> = CLIENT_FIELD_TYPES,
): BindResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      ok: false,
      error: `json: cannot unmarshal ${jsonKind(value)} into Go value of type model.${struct}`,
    };
  }
  const client: Record<string, unknown> = {};
  const extra: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(value)) {
    const goType: GoType | undefined = fields[key];
    if (goType === undefined) {
      extra[key] = raw;
      continue;
    }
    if (raw === null) {
      continue; // Go leaves the zero value for a JSON null.
    }
    switch (goType) {
      case 'string':
        if (typeof raw !== 'string') {
          return { ok: false, error: unmarshalError(raw, struct, key, 'string') };
        }
        client[key] = raw;
        break;
      case 'bool':
        if (typeof raw !== 'boolean') {
          return { ok: false, error: unmarshalError(raw, struct, key, 'bool') };
        }
        client[key] = raw;
        break;
      case 'int64':
        if (typeof raw !== 'number' || !Number.isInteger(raw)) {
          return { ok: false, error: unmarshalError(raw, struct, key, 'int64') };
        }
        client[key] = raw;
        break;
      case 'stringSlice':
        if (!Array.isArray(raw) || !raw.every((item) => typeof item === 'string')) {
          return { ok: false, error: unmarshalError(raw, struct, key, '[]string') };
        }
        client[key] = raw;
        break;
    }
  }
  return { ok: true, client, extra };
}
