import { wantsJson, type Command } from '../command.ts';
import { println } from '../pool.ts';
import { VERSION } from '../version.ts';

/** `keywarden version` (also `--version`). */
export const versionCommand: Command = {
  name: 'version',
  summary: 'print the version',
  usage: '',
  flags: { json: { type: 'boolean' } },
  help: {
    description: 'Prints the version of keywarden (from package.json); `keywarden --version` does the same.',
    flags: { json: { description: 'print JSON for scripts: {"version": "..."}', default: 'off' } },
    examples: ['keywarden version', 'keywarden version --json'],
  },
  run: (context) => {
    println(context, wantsJson(context) ? JSON.stringify({ version: VERSION }) : VERSION);
    return Promise.resolve(0);
  },
};
