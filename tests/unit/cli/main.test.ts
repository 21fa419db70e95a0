import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli, VERSION } from '../../../src/cli/main.ts';

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return {
    stream: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString());
        callback();
      },
    }),
    text: () => chunks.join(''),
  };
}

async function cli(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await runCli(argv, {
    env,
    stdout: stdout.stream,
    stderr: stderr.stream,
    signal: new AbortController().signal,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('keywarden CLI', () => {
  it('prints the version from package.json', async () => {
    const result = await cli(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('lists the commands on --help', async () => {
    const result = await cli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('migrate');
  });

  it('exits 2 with usage on stderr for an unknown command', async () => {
    const result = await cli(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "frobnicate"');
    expect(result.stderr).toContain('usage: keywarden');
  });

  it('exits 2 for an unknown flag', async () => {
    const result = await cli(['migrate', '--frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('frobnicate');
  });

  it('exits 2 with one line naming a malformed setting, without a stack trace', async () => {
    const result = await cli(['migrate'], { KEYWARDEN_RESYNC_INTERVAL: 'abc' });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('KEYWARDEN_RESYNC_INTERVAL');
    expect(result.stderr).not.toContain('    at ');
  });
});

describe('keywarden CLI help and typos', () => {
  it('documents every flag of every command with at least one example', async () => {
    const { COMMANDS } = await import('../../../src/cli/registry.ts');
    const { helpOf } = await import('../../../src/cli/help.ts');
    for (const command of COMMANDS) {
      const help = helpOf(command);
      expect(help, command.name).toBeDefined();
      expect(Object.keys(help?.flags ?? {}).sort(), command.name).toEqual(Object.keys(command.flags).sort());
      expect(help?.examples.length, command.name).toBeGreaterThan(0);
      expect(help?.description, command.name).toBeDefined();
    }
  });

  it('gives every optional flag a default, and --json to every command that reads', async () => {
    const { COMMANDS } = await import('../../../src/cli/registry.ts');
    const { helpOf } = await import('../../../src/cli/help.ts');
    // Flags a command cannot do without (for add, for its one job): their help says so, no default.
    const REQUIRED = new Set([
      'reconcile --once',
      'panels --name',
      'grant --telegram-id',
      'grant --for',
      'plans --code',
      'users --telegram-id',
      'compensate --days',
      'console --telegram-id',
      'sub --telegram-id',
      'adopt --panel',
      'adopt --fingerprint',
    ]);
    // Commands that only write or run: no output worth a JSON form.
    const NO_READS = new Set(['start', 'demo', 'migrate', 'run', 'grant', 'console', 'rekey']);
    for (const command of COMMANDS) {
      for (const [name, flag] of Object.entries(helpOf(command)?.flags ?? {})) {
        expect(
          flag.default !== undefined || REQUIRED.has(`${command.name} --${name}`),
          `${command.name} --${name}`,
        ).toBe(true);
      }
      if (!NO_READS.has(command.name)) {
        expect(Object.keys(command.flags), command.name).toContain('json');
      }
    }
  });

  it('prints flags, defaults and examples on <command> --help', async () => {
    const result = await cli(['payments', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--since VALUE');
    expect(result.stdout).toContain('(default: all time)');
    expect(result.stdout).toContain('examples:');
    expect(result.stdout).toContain('keywarden payments list --mismatched --since 24h');
  });

  it('suggests the command meant by a typo', async () => {
    const result = await cli(['plnas']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('did you mean "plans"?');
    expect((await cli(['helt'])).stderr).toContain('did you mean "held"?');
  });

  it('suggests the subcommand meant by a typo', async () => {
    const result = await cli(['held', 'confrim', 'abc'], { DATABASE_URL: 'postgres://127.0.0.1:1/none' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('did you mean "confirm"?');
  });

  it('prints the version for `keywarden version`', async () => {
    expect(await cli(['version'])).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });
});
