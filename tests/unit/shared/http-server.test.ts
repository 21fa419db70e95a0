/**
 * Every listener keywarden exposes takes the shared slow-loris limits (issue 12): the console once
 * set only two of them and kept Node's 30 s check interval, so a slow-header connection was held for
 * about 90 s there. This scans the production listeners (the demo's fake provider and the embedded
 * database's port probe are not listeners an operator exposes) and checks listenOn/closeServer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeServer, httpServerOptions, listenOn } from '../../../src/shared/index.ts';

const SRC = new URL('../../../src/', import.meta.url).pathname;
const NOT_LISTENERS = new Set(['demo/fake-yookassa.ts', 'db/embedded.ts']);

function sourceFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? entry.name === 'simulator'
        ? []
        : sourceFiles(join(dir, entry.name), `${prefix}${entry.name}/`)
      : entry.name.endsWith('.ts')
        ? [`${prefix}${entry.name}`]
        : [],
  );
}

describe('HTTP listeners', () => {
  it('every production createServer call passes httpServerOptions()', () => {
    const calls = sourceFiles(SRC)
      .filter((file) => !NOT_LISTENERS.has(file))
      .flatMap((file) =>
        [...readFileSync(join(SRC, file), 'utf8').matchAll(/createServer\(([^,)]*)/g)].map((match) => ({
          file,
          firstArgument: match[1] ?? '',
        })),
      );
    // metrics, bot webhook, subscription, webhooks, console.
    expect(calls.length).toBeGreaterThanOrEqual(5);
    for (const call of calls) {
      expect(call.firstArgument, call.file).toMatch(/^httpServerOptions\(/);
    }
  });

  it('listenOn resolves the bound URL; closeServer drops a connection still open after the grace', async () => {
    const server = createServer(httpServerOptions(), (_req, res) => {
      // Never answers: the connection stays busy until the server drops it.
      res.flushHeaders();
    });
    const url = await listenOn(server, 0, '127.0.0.1');
    expect(url.href).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const aborted = new Promise<string>((resolve) => {
      request(url, (res) => {
        res.on('error', () => {
          resolve('dropped');
        });
        res.on('close', () => {
          resolve('dropped');
        });
        res.resume();
      }).end();
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    let forced = false;
    const started = performance.now();
    await closeServer(server, {
      graceMs: 200,
      onForce: () => {
        forced = true;
      },
    });
    expect(forced).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
    expect(await aborted).toBe('dropped');
    expect(server.listening).toBe(false);
    // Closing again (not listening) resolves at once.
    await closeServer(server, { graceMs: 10_000 });
  });
});
