/**
 * Process entry point: wires signals and fatal handlers to the CLI. Everything else is built in
 * src/cli (per command) so that tests can run commands without a process.
 */
import { runCli } from './cli/main.ts';

const controller = new AbortController();
let signals = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  signals += 1;
  if (signals === 1) {
    process.stderr.write(`keywarden: ${signal} received, shutting down (send again to force)\n`);
    controller.abort();
    return;
  }
  process.stderr.write('keywarden: forced exit\n');
  process.exit(130);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// A closed terminal (SIGHUP) shuts down like Ctrl-C: without it Node dies at once, leaving the demo's
// embedded PostgreSQL running and its folder behind. Writes to the gone terminal then fail (EIO,
// EPIPE); they must not turn into an uncaught exception before the shutdown is done.
process.on('SIGHUP', (signal) => {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', () => undefined);
  }
  onSignal(signal);
});
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`keywarden: fatal: unhandled rejection: ${String(reason)}\n`);
  process.exit(70);
});
process.on('uncaughtException', (error) => {
  process.stderr.write(`keywarden: fatal: ${error.stack ?? String(error)}\n`);
  process.exit(70);
});

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
});
process.exitCode = code;
