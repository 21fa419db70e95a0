#!/usr/bin/env node
// Entry point for `keywarden`: runs the compiled build when present, else the TypeScript sources
// directly (Node >= 22.18 strips types natively).
import { existsSync } from 'node:fs';

const built = new URL('../dist/main.js', import.meta.url);
const entry = existsSync(built) ? built : new URL('../src/main.ts', import.meta.url);
await import(entry.href);
