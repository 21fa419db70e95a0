/** Runs the keywarden CLI in-process against a test database and captures its output. */
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/main.ts';

/**
 * Runs `keywarden ARGS` with DATABASE_URL = `url` (left unset when `url` is undefined) and the log
 * level `silent` unless `env` says otherwise; resolves the exit code and what it printed.
 */
export async function runCliAgainst(
  url: string | undefined,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await runCli(args, {
    env: { ...(url === undefined ? {} : { DATABASE_URL: url }), KEYWARDEN_LOG_LEVEL: 'silent', ...env },
    stdout,
    stderr,
    signal: new AbortController().signal,
  });
  return { code, out, err };
}
