/**
 * `npm run bench -- <name> [args...]` runs one benchmark of this folder in a child process (with the
 * daemon's Node flags);
 * without a name it lists them with the first line of their description. Benchmarks that need a
 * database read DATABASE_URL.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const folder = new URL('./', import.meta.url);
const benchmarks = readdirSync(folder)
  .filter(
    (file) =>
      file.endsWith('.ts') && !['run.ts', 'support.ts', 'panel-process.ts', 'remote-panel.ts'].includes(file),
  )
  .map((file) => file.replace(/\.ts$/, ''))
  .sort();
const [name, ...args] = process.argv.slice(2);

if (name === undefined || !benchmarks.includes(name)) {
  if (name !== undefined) {
    process.stderr.write(`no benchmark named ${JSON.stringify(name)}\n\n`);
  }
  process.stdout.write('usage: npm run bench -- <name> [args...]\n\n');
  for (const bench of benchmarks) {
    const text = readFileSync(new URL(`${bench}.ts`, folder), 'utf8');
    const summary = /\*\s+(Bench\S*[^\n]*)/.exec(text)?.[1] ?? '';
    process.stdout.write(`  ${bench.padEnd(20)} ${summary}\n`);
  }
  process.exit(name === undefined ? 0 : 2);
}

// With the Node flags every start path of the daemon passes (docs/deploy.md, "Memory"), so a
// benchmark's keywarden process is set up like the daemon.
const DAEMON_NODE_FLAGS = ['--max-semi-space-size=8'];
const result = spawnSync(
  process.execPath,
  [...DAEMON_NODE_FLAGS, new URL(`${name}.ts`, folder).pathname, ...args],
  {
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
