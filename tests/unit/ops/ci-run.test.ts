import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const script = readFileSync(new URL('../../../.ci/run', import.meta.url), 'utf8');
const commands = script
  .split('\n')
  .filter((line) => !line.trim().startsWith('#'))
  .join('\n');

describe('.ci/run (issue 12)', () => {
  it('never stops a process by its name (another Prometheus on the machine is not ours)', () => {
    expect(commands).not.toMatch(/\b(pkill|killall|pidof)\b/);
  });

  it('keeps the Debian prometheus package from starting its service with a policy-rc.d it removes again', () => {
    expect(commands).toMatch(/policy=\/usr\/sbin\/policy-rc\.d/);
    expect(commands).toMatch(/exit 101/);
    expect(commands.indexOf('"$policy"')).toBeLessThan(commands.indexOf('apt-get install'));
    expect(commands).toMatch(/rm -f "\$policy"/);
  });
});
