/**
 * Long `--help` of the commands that predate per-command help, kept apart from their files so that
 * changes to those commands and to their help merge independently. A command's own `help` wins.
 */
import { AS_HELP, type Command, type CommandHelp } from './command.ts';

const JSON_FLAG = { description: 'print JSON for scripts', default: 'off' } as const;

/** Help by command name. */
export const BUILTIN_HELP: Readonly<Record<string, CommandHelp>> = {
  start: {
    description:
      'With DATABASE_URL: applies pending migrations, then runs the daemon (as `keywarden run`). Without: the demo.',
    flags: {},
    examples: ['DATABASE_URL=postgres://keywarden@db/keywarden keywarden start', 'keywarden start'],
  },
  demo: {
    description:
      'Embedded PostgreSQL, two simulated 3x-ui panels, seeded users, the whole daemon and the web console; prints a console login link. Everything is removed on Ctrl-C.',
    flags: {},
    examples: ['keywarden demo'],
  },
  migrate: {
    description: 'Applies pending migrations to DATABASE_URL. Safe to run from several processes at once.',
    flags: {},
    examples: ['DATABASE_URL=postgres://keywarden@db/keywarden keywarden migrate'],
  },
  run: {
    description:
      'The daemon: the parts named in KEYWARDEN_COMPONENTS (reconciler, bot, webhooks, console), until SIGINT/SIGTERM.',
    flags: {},
    examples: ['KEYWARDEN_COMPONENTS=reconciler,bot,webhooks,console keywarden run'],
  },
  plan: {
    description:
      'A dry run of one pass: per panel, what would change and why, and what the safety valve holds.',
    flags: { json: JSON_FLAG },
    examples: ['keywarden plan', 'keywarden plan --json'],
  },
  reconcile: {
    description:
      'One pass that applies changes, then exits; exit 1 when a panel was unreadable or an action failed.',
    flags: {
      once: { description: 'required: run one pass (the daemon is `keywarden run`)' },
      json: JSON_FLAG,
    },
    examples: ['keywarden reconcile --once'],
  },
  status: {
    description:
      'Per panel: up, owner replica, keys by desired state, drift, held disables, last full sync. Then payments by provider and status, and how many mismatched payments wait for an admin (list them with `keywarden payments list --mismatched`).',
    flags: { json: JSON_FLAG },
    examples: ['keywarden status', 'keywarden status --json'],
  },
  panels: {
    description:
      'Registers, checks, changes, suspends and removes 3x-ui panels. add and update check the panel (reachable, credentials, API) before saving unless --no-check. Passwords and tokens may come from KEYWARDEN_PANEL_PASSWORD / KEYWARDEN_PANEL_TOKEN instead of flags (flags end up in shell history).',
    flags: {
      name: {
        description: 'add: a unique panel name (letters of any script, digits, . _ -), or the first argument',
      },
      url: {
        description: 'add/update: the panel URL including its web base path',
        default: 'required for add; unchanged on update',
      },
      username: { description: 'add/update: panel login (with --password)', default: 'none (use --token)' },
      password: { description: 'add/update: panel password', default: 'KEYWARDEN_PANEL_PASSWORD' },
      token: {
        description: 'add/update: API token (3x-ui v3+) instead of a login',
        default: 'KEYWARDEN_PANEL_TOKEN',
      },
      'ca-file': {
        description: 'add/update: PEM file of the CA that signed the panel certificate',
        default: 'system CAs',
      },
      'insecure-skip-verify': {
        description: 'add/update: do not verify the panel TLS certificate',
        default: 'off',
      },
      'verify-tls': { description: 'update: verify the TLS certificate again', default: 'off' },
      'public-host': { description: 'add/update: the host put in connection links', default: 'the URL host' },
      suspend: { description: 'add/update: observe only, never write to this panel', default: 'off' },
      suspended: { description: 'add: the 0.1 spelling of --suspend', default: 'off' },
      resume: { description: 'update: write to the panel again', default: 'off' },
      'no-check': { description: 'add/update: save without checking the panel first', default: 'off' },
      force: {
        description: 'remove: also revoke its live keys (nothing is deleted from the panel)',
        default: 'off',
      },
      json: JSON_FLAG,
      ...AS_HELP,
    },
    examples: [
      'KEYWARDEN_PANEL_PASSWORD=... keywarden panels add --name de-1 --url https://de-1.example.com:2053/secret/ --username admin',
      'keywarden panels test de-1',
      'keywarden panels update de-1 --suspend --as 5001',
      'keywarden panels list --json',
    ],
  },
  grant: {
    description:
      'Gives a user access for a while (an admin period after their current coverage); creates the user if needed.',
    flags: {
      'telegram-id': { description: "the user's numeric Telegram id" },
      for: { description: 'how long: 30d, 12h, 90s' },
      plan: { description: 'the plan whose quota and key limit apply', default: 'none (1 key, no quota)' },
      ...AS_HELP,
    },
    examples: [
      'keywarden grant --telegram-id 123456789 --for 30d --plan month',
      'keywarden grant --telegram-id 123456789 --for 3d --as 5001',
    ],
  },
  adopt: {
    description:
      'Takes over the clients already on a panel (docs/migrating.md). plan shows, per client, whom it would belong to and until when, what the first pass would do, and the plan fingerprint; apply writes exactly that plan (same inputs, same fingerprint) and never writes to a panel.',
    flags: {
      panel: { description: 'the panel to adopt (or --all)' },
      all: { description: 'every enabled panel', default: 'off' },
      csv: { description: "the old shop's export: who owns which client, paid until when", default: 'none' },
      match: {
        description:
          'how clients are matched to users: tgid, csv, subid, email:REGEX, subid:REGEX; repeatable, tried in order',
        default: 'csv (with --csv), tgid, subid',
      },
      plan: { description: 'the plan adopted users get', default: 'none' },
      fingerprint: { description: 'apply: the fingerprint `adopt plan` printed (16 hex digits)' },
      json: JSON_FLAG,
    },
    examples: [
      'keywarden adopt plan --panel de-1 --csv old-shop.csv',
      'keywarden adopt apply --panel de-1 --csv old-shop.csv --fingerprint 0123456789abcdef',
    ],
  },
  sub: {
    description:
      "url prints a customer's subscription URL (one URL across every panel); rotate replaces it, and the old one stops working at once. Needs KEYWARDEN_SUB_PUBLIC_URL and KEYWARDEN_SUB_TOKEN_SECRET.",
    flags: {
      'telegram-id': { description: "the customer's numeric Telegram id" },
      json: { description: 'url: print JSON for scripts: {"url": "..."}', default: 'off' },
      ...AS_HELP,
    },
    examples: [
      'keywarden sub url --telegram-id 123456789 --json',
      'keywarden sub rotate --telegram-id 123456789 --as 5001',
    ],
  },
  rekey: {
    description:
      'Encrypts every panel’s stored credentials with KEYWARDEN_SECRET_KEY: plain ones (the key was just set) and ones under a key in KEYWARDEN_SECRET_KEY_PREVIOUS (the key was rotated). All panels or none. Rotation: set the new key, move the old one to KEYWARDEN_SECRET_KEY_PREVIOUS, run this, then drop the previous key.',
    flags: {},
    examples: ['KEYWARDEN_SECRET_KEY=... keywarden rekey'],
  },
};

/** The help of a command: its own, else the built-in one, else none. */
export function helpOf(command: Command): CommandHelp | undefined {
  return command.help ?? BUILTIN_HELP[command.name];
}
