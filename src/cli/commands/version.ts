import type { Command } from '../command.ts';
import { println } from '../pool.ts';
import { VERSION } from '../version.ts';

/** `keywarden version` (also `--version`). */
export const versionCommand: Command = {
  name: 'version',
  summary: 'print the version',
  usage: '',
  flags: {},
  help: { flags: {}, examples: ['keywarden version'] },
  run: (context) => {
    println(context, VERSION);
    return Promise.resolve(0);
  },
};
