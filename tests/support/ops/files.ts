/**
 * Reading the operations files (dashboard, alert rules, compose, Kubernetes, systemd) for the tests in
 * this folder, as untyped data narrowed with small guards.
 */
import { readFileSync } from 'node:fs';
import { parse, parseAllDocuments } from 'yaml';

/** Absolute path of a file in the repository. */
export function repoPath(relative: string): string {
  return new URL(`../../../${relative}`, import.meta.url).pathname;
}

/** A file's text. */
export function readText(relative: string): string {
  return readFileSync(repoPath(relative), 'utf8');
}

/** A YAML file's single document (merge keys `<<:` resolved, as Docker Compose does). */
export function readYaml(relative: string): unknown {
  return parse(readText(relative), { merge: true });
}

/** Every document of a (multi-document) YAML file. */
export function readYamlDocuments(relative: string): unknown[] {
  return parseAllDocuments(readText(relative), { merge: true }).map((document) => {
    if (document.errors.length > 0) {
      throw new Error(`${relative}: ${document.errors.map((error) => error.message).join('; ')}`);
    }
    return document.toJS() as unknown;
  });
}

/** Narrows to a plain object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object at `value`, or an empty one. */
export function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/** The array at `value`, or an empty one. */
export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

/** The string at `value`, or undefined. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The Grafana dashboard, parsed. */
export function readDashboard(): Record<string, unknown> {
  return record(JSON.parse(readText('grafana/dashboards/keywarden.json')) as unknown);
}

/** Every panel of a dashboard, rows' nested panels included. */
export function dashboardPanels(dashboard: Record<string, unknown>): Record<string, unknown>[] {
  const panels: Record<string, unknown>[] = [];
  const visit = (items: unknown): void => {
    for (const item of list(items)) {
      const panel = record(item);
      panels.push(panel);
      visit(panel['panels']);
    }
  };
  visit(dashboard['panels']);
  return panels;
}

/** Every PromQL expression of the dashboard's panels, with the panel title. */
export function dashboardQueries(dashboard: Record<string, unknown>): { title: string; expr: string }[] {
  return dashboardPanels(dashboard).flatMap((panel) =>
    list(panel['targets']).flatMap((target) => {
      const expr = str(record(target)['expr']);
      return expr === undefined ? [] : [{ title: str(panel['title']) ?? '(untitled)', expr }];
    }),
  );
}

/** One alerting rule of deploy/prometheus/alerts.yml. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly labels: Record<string, unknown>;
  readonly annotations: Record<string, unknown>;
}

/** Every alerting rule of deploy/prometheus/alerts.yml. */
export function readAlertRules(): AlertRule[] {
  return list(record(readYaml('deploy/prometheus/alerts.yml'))['groups']).flatMap((group) =>
    list(record(group)['rules']).map((item) => {
      const rule = record(item);
      return {
        alert: str(rule['alert']) ?? '',
        expr: str(rule['expr']) ?? '',
        labels: record(rule['labels']),
        annotations: record(rule['annotations']),
      };
    }),
  );
}
