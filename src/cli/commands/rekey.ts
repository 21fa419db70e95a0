import { rekeyPanels, secretBoxFrom } from '../../db/index.ts';
import { println, withPool } from '../pool.ts';
import type { Command } from '../command.ts';

/**
 * `keywarden rekey`: encrypts every panel's stored credentials with KEYWARDEN_SECRET_KEY — plain
 * ones (the key was just set) and ones under a key listed in KEYWARDEN_SECRET_KEY_PREVIOUS (the key
 * was rotated). All panels or none, in one transaction. Rotation: set the new key, move the old one
 * to KEYWARDEN_SECRET_KEY_PREVIOUS, run `keywarden rekey`, then drop the previous key.
 */
export const rekeyCommand: Command = {
  name: 'rekey',
  summary: 'encrypt stored panel credentials with KEYWARDEN_SECRET_KEY (after setting or rotating it)',
  usage: '',
  flags: {},
  run: async (context) => {
    const secrets = secretBoxFrom(context.config);
    if (secrets === undefined) {
      context.stderr.write(
        'keywarden rekey: KEYWARDEN_SECRET_KEY is not set (make one with `openssl rand -hex 32`)\n',
      );
      return 2;
    }
    return withPool(context, async (pool) => {
      const report = await rekeyPanels(pool, secrets);
      println(
        context,
        `panel credentials encrypted with key ${secrets.keyId}: ${report.resealed.length} re-encrypted` +
          `${report.resealed.length > 0 ? ` (${report.resealed.join(', ')})` : ''}, ${report.unchanged} already current`,
      );
      return 0;
    });
  },
};
