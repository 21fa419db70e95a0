import { readdirSync, readFileSync } from 'node:fs';
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

  it("runs the README's test command, then the fault tests at full length", () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain('scripts/npm test\n');
    const main = commands.indexOf('scripts/npm test\n');
    expect(main).toBeGreaterThan(-1);
    expect(commands.indexOf('scripts/npm run test:faults')).toBeGreaterThan(main);
  });
});

describe('npm run test:faults (issue 11)', () => {
  const scripts = (
    JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts;
  const faults = scripts['test:faults'] ?? '';

  it("runs at the scenarios' full length: KW_FAULT_MS=30000", () => {
    expect(faults).toMatch(/^KW_FAULT_MS=30000 vitest run /);
  });

  it('runs every test file that KW_FAULT_MS shortens', () => {
    const root = new URL('../../../', import.meta.url);
    const files = readdirSync(new URL('tests/', root), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.test.ts'))
      .map((file) => `tests/${file}`)
      .filter((file) => file !== 'tests/unit/ops/ci-run.test.ts')
      .filter((file) => readFileSync(new URL(file, root), 'utf8').includes("process.env['KW_FAULT_MS']"));
    expect(files.length).toBeGreaterThanOrEqual(4);
    expect(files.filter((file) => !faults.split(' ').includes(file))).toEqual([]);
  });
});
