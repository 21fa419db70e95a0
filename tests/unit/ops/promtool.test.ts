/**
 * promtool (Debian's `prometheus` package; .ci/run installs it) checks the alert rules, runs their unit
 * tests (deploy/prometheus/alerts.test.yml), checks the compose stack's Prometheus configuration and
 * parses every dashboard query with Prometheus's own parser. In CI a missing promtool is a failure;
 * locally these tests are skipped with a logged reason.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { dashboardQueries, readDashboard, repoPath } from '../../support/ops/files.ts';
import { substituteGrafanaVariables } from '../../support/ops/promql.ts';

const probe = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const hasPromtool = probe.error === undefined && probe.status === 0;
const isCi = process.env['CI'] === 'true';
if (!hasPromtool && !isCi) {
  console.warn(
    'promtool is not on PATH: skipping the promtool checks (apt-get install prometheus provides it; CI requires it)',
  );
}

/** Runs promtool and returns its combined output; fails the test on a non-zero exit. */
function promtool(...args: string[]): string {
  const result = spawnSync('promtool', args, { encoding: 'utf8', cwd: repoPath('') });
  const output = `${result.stdout}${result.stderr}`;
  expect(result.error, output).toBeUndefined();
  expect(result.status, output).toBe(0);
  return output;
}

describe('promtool', () => {
  it.runIf(isCi)('is installed in CI', () => {
    expect(hasPromtool, 'promtool must be on PATH in CI (.ci/run installs Debian package prometheus)').toBe(
      true,
    );
  });

  it.runIf(hasPromtool)('accepts the alert rules', () => {
    expect(promtool('check', 'rules', 'deploy/prometheus/alerts.yml')).toMatch(/SUCCESS: \d+ rules found/);
  });

  it.runIf(hasPromtool)('passes the alert rules unit tests', () => {
    expect(promtool('test', 'rules', 'deploy/prometheus/alerts.test.yml')).toMatch(/SUCCESS/);
  });

  it.runIf(hasPromtool)('accepts the compose Prometheus configuration and the rules it loads', () => {
    expect(promtool('check', 'config', 'deploy/prometheus/prometheus.yml')).toMatch(/1 rule files found/);
  });

  const scratch = mkdtempSync(join(tmpdir(), 'keywarden-promtool-'));
  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  it.runIf(hasPromtool)('parses every dashboard query', () => {
    const queries = dashboardQueries(readDashboard());
    const file = join(scratch, 'dashboard-queries.yml');
    writeFileSync(
      file,
      stringify({
        groups: [
          {
            name: 'dashboard',
            rules: queries.map(({ expr }, index) => ({
              record: `dashboard_query_${index}`,
              expr: substituteGrafanaVariables(expr),
            })),
          },
        ],
      }),
    );
    expect(promtool('check', 'rules', file)).toContain(`SUCCESS: ${queries.length} rules found`);
  });
});
