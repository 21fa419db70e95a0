/**
 * The Grafana dashboard and the alert rules use only metrics and labels that keywarden exports
 * (src/metrics/catalog.ts), the dashboard shows every exported metric, and every alert has a runbook
 * section and a promtool unit test.
 */
import { describe, expect, it } from 'vitest';
import { METRICS, METRIC_NAMES } from '../../../src/metrics/catalog.ts';
import {
  dashboardPanels,
  dashboardQueries,
  list,
  readAlertRules,
  readDashboard,
  readText,
  readYaml,
  record,
  str,
} from '../../support/ops/files.ts';
import {
  catalogEntryOf,
  checkQuery,
  readQuery,
  substituteGrafanaVariables,
} from '../../support/ops/promql.ts';

const dashboard = readDashboard();
const queries = dashboardQueries(dashboard);
const rules = readAlertRules();
const variables = list(record(dashboard['templating'])['list']).map(record);

/** Catalog names of the keywarden_* metrics a query reads. */
function metricsOf(expr: string): string[] {
  return readQuery(substituteGrafanaVariables(expr))
    .selectors.map((selector) => catalogEntryOf(selector.metric)?.name)
    .filter((name) => name !== undefined);
}

describe('promql reader', () => {
  it('finds metrics, matcher labels and grouping labels', () => {
    const references = readQuery(
      'sum by (kind) (keywarden_drift{panel=~"p"} * on (instance, panel) group_left () keywarden_panel_owned)',
    );
    expect(references.selectors).toEqual([
      { metric: 'keywarden_drift', labels: ['panel'] },
      { metric: 'keywarden_panel_owned', labels: [] },
    ]);
    expect(references.groupingLabels).toEqual(['kind', 'instance', 'panel']);
    expect(references.syntaxErrors).toEqual([]);
  });

  it('reports unknown metrics, unknown labels and syntax errors', () => {
    expect(checkQuery('sum by (op) (keywarden_keys{panel="p", user="u"})')).toEqual([
      'keywarden_keys has no label user',
      'no metric of the query has the label op (in sum by (op) (keywarden_keys{panel="p", user="u"}))',
    ]);
    expect(checkQuery('keywarden_expiry_lag_seconds')).toEqual([
      'keywarden_expiry_lag_seconds is not exported (src/metrics/catalog.ts)',
    ]);
    expect(checkQuery('rate(keywarden_expiry_lag_seconds_count[5m])')).toEqual([]);
    expect(checkQuery('sum(keywarden_keys{')[0]).toMatch(/^syntax error/);
  });
});

describe('grafana dashboard', () => {
  it('has a datasource variable of type prometheus that every query uses', () => {
    const datasource = variables.find((variable) => variable['name'] === 'datasource');
    expect(datasource?.['type']).toBe('datasource');
    expect(datasource?.['query']).toBe('prometheus');
    for (const panel of dashboardPanels(dashboard).filter((candidate) => candidate['type'] !== 'row')) {
      expect(record(panel['datasource'])['uid'], str(panel['title'])).toBe('${datasource}');
      for (const target of list(panel['targets'])) {
        expect(record(record(target)['datasource'])['uid'], str(panel['title'])).toBe('${datasource}');
      }
    }
  });

  it('has a multi-value panel variable listing the panels keywarden reports', () => {
    const panel = variables.find((variable) => variable['name'] === 'panel');
    expect(panel?.['type']).toBe('query');
    expect(panel?.['definition']).toBe('label_values(keywarden_panel_up, panel)');
    expect(record(panel?.['query'])['query']).toBe('label_values(keywarden_panel_up, panel)');
    expect(panel?.['multi']).toBe(true);
    expect(panel?.['includeAll']).toBe(true);
    expect(record(panel?.['datasource'])['uid']).toBe('${datasource}');
    expect(catalogEntryOf('keywarden_panel_up')?.labels).toContain('panel');
  });

  it('filters every panel-labelled query by the panel variable', () => {
    const unfiltered = queries.filter(({ expr }) => {
      const references = readQuery(substituteGrafanaVariables(expr));
      const panelScoped = references.selectors.filter((selector) =>
        catalogEntryOf(selector.metric)?.labels.includes('panel'),
      );
      return panelScoped.length > 0 && !expr.includes('panel=~"$panel"');
    });
    expect(unfiltered.map(({ title }) => title)).toEqual([]);
  });

  it('has unique panel ids and titled panels with queries', () => {
    const panels = dashboardPanels(dashboard);
    const ids = panels.map((panel) => panel['id']);
    expect(new Set(ids).size).toBe(ids.length);
    expect(queries.length).toBeGreaterThan(20);
    for (const panel of panels.filter((candidate) => candidate['type'] !== 'row')) {
      expect(str(panel['title'])?.length).toBeGreaterThan(0);
      expect(list(panel['targets']).length, str(panel['title'])).toBeGreaterThan(0);
    }
  });

  it('queries only exported metrics and their declared labels', () => {
    const problems = queries.flatMap(({ title, expr }) =>
      checkQuery(substituteGrafanaVariables(expr)).map((problem) => `${title}: ${problem}`),
    );
    expect(problems).toEqual([]);
  });

  it('shows every exported keywarden metric', () => {
    const shown = new Set(queries.flatMap(({ expr }) => metricsOf(expr)));
    const variableMetric = /label_values\((\w+),/.exec(
      str(variables.find((variable) => variable['name'] === 'panel')?.['definition']) ?? '',
    )?.[1];
    if (variableMetric !== undefined) {
      shown.add(variableMetric);
    }
    expect(METRIC_NAMES.filter((name) => !shown.has(name))).toEqual([]);
  });
});

describe('alert rules', () => {
  const runbook = readText('docs/runbook.md');
  const anchors = new Set(
    [...runbook.matchAll(/^#{2,3} (.+)$/gm)].map((match) =>
      (match[1] ?? '')
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    ),
  );

  it('covers the alerts the operators asked for', () => {
    expect(rules.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining([
        'KeywardenDown',
        'KeywardenPanelUnreachable',
        'KeywardenPanelWithoutOwner',
        'KeywardenReconcileErrorRatioHigh',
        'KeywardenNoFullSync',
        'KeywardenDriftNotConverging',
        'KeywardenValveHolding',
        'KeywardenExpiryLagHigh',
        'KeywardenActivationLagHigh',
        'KeywardenWebhook5xx',
      ]),
    );
  });

  it('query only exported metrics and their declared labels', () => {
    const problems = rules.flatMap((rule) =>
      checkQuery(rule.expr).map((problem) => `${rule.alert}: ${problem}`),
    );
    expect(problems).toEqual([]);
    expect(rules.filter((rule) => !/keywarden_|up\{/.test(rule.expr)).map((rule) => rule.alert)).toEqual([]);
  });

  it('have a severity, a summary, a description and a runbook section', () => {
    for (const rule of rules) {
      expect(['critical', 'warning', 'info'], rule.alert).toContain(rule.labels['severity']);
      expect(str(rule.annotations['summary'])?.length, rule.alert).toBeGreaterThan(10);
      expect(str(rule.annotations['description'])?.length, rule.alert).toBeGreaterThan(20);
      const url = str(rule.annotations['runbook_url']) ?? '';
      expect(url, rule.alert).toBe(`docs/runbook.md#${rule.alert.toLowerCase()}`);
      expect(anchors.has(rule.alert.toLowerCase()), `runbook section for ${rule.alert}`).toBe(true);
    }
  });

  it('each have a promtool unit test in which they fire', () => {
    const tests = list(record(readYaml('deploy/prometheus/alerts.test.yml'))['tests']);
    const fired = new Set(
      tests.flatMap((test) =>
        list(record(test)['alert_rule_test'])
          .map(record)
          .filter((check) => list(check['exp_alerts']).length > 0)
          .map((check) => str(check['alertname'])),
      ),
    );
    expect(rules.map((rule) => rule.alert).filter((alert) => !fired.has(alert))).toEqual([]);
  });

  it('use metrics the dashboard shows, so an alert can be looked at', () => {
    const shown = new Set(queries.flatMap(({ expr }) => metricsOf(expr)));
    const unseen = rules.flatMap((rule) => metricsOf(rule.expr).filter((name) => !shown.has(name)));
    expect(unseen).toEqual([]);
    expect(Object.keys(METRICS).length).toBe(METRIC_NAMES.length);
  });
});
