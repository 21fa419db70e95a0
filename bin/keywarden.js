#!/usr/bin/env node
// Entry point for `keywarden`: runs the compiled build when present, else the TypeScript sources
// directly (Node >= 22.18 strips types natively). On an older Node it says so in one line instead of
// failing with ERR_UNKNOWN_FILE_EXTENSION; this file must therefore stay plain JavaScript.
import { existsSync } from 'node:fs';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `keywarden needs Node.js ≥ 22.18 (this is ${process.versions.node}); \`scripts/keywarden\` installs one\n`,
  );
  process.exit(2);
}

const built = new URL('../dist/main.js', import.meta.url);
const entry = existsSync(built) ? built : new URL('../src/main.ts', import.meta.url);
await import(entry.href);
