/**
 * What a PromQL query refers to, read from its syntax tree (the Prometheus project's own lezer grammar,
 * the one the Prometheus UI uses): the metric of every selector with the labels it matches on, and the
 * labels of every `by`, `without`, `on`, `ignoring`, `group_left` and `group_right`. The dashboard and
 * alert tests check these against src/metrics/catalog.ts.
 */
import { parser } from '@prometheus-io/lezer-promql';
import { METRICS, type MetricDefinition } from '../../../src/metrics/catalog.ts';

/** One vector selector: `metric{label="..."}`. */
export interface Selector {
  readonly metric: string;
  readonly labels: readonly string[];
}

/** Everything a query references, plus syntax errors (positions into the query). */
export interface QueryReferences {
  readonly selectors: readonly Selector[];
  readonly groupingLabels: readonly string[];
  readonly syntaxErrors: readonly number[];
}

/** Labels every series carries besides its own: target labels and the histogram bucket bound. */
export const IMPLICIT_LABELS: ReadonlySet<string> = new Set(['job', 'instance', 'le', 'pod']);

/** Grafana's variables, replaced by values of the right type so that the query parses as PromQL. */
export function substituteGrafanaVariables(expr: string): string {
  return expr.replace(/\$\{?(\w+)(?::\w+)?\}?/g, (_match, name: string) =>
    name === '__rate_interval' || name === '__interval' || name === '__range' ? '5m' : 'variable',
  );
}

/** Parses `expr` and lists what it refers to. */
export function readQuery(expr: string): QueryReferences {
  const selectors: Selector[] = [];
  const groupingLabels: string[] = [];
  const syntaxErrors: number[] = [];
  const text = (from: number, to: number): string => expr.slice(from, to);
  parser.parse(expr).iterate({
    enter: (ref) => {
      if (ref.type.isError) {
        syntaxErrors.push(ref.from);
        return;
      }
      if (ref.name === 'VectorSelector') {
        const node = ref.node;
        const identifier = node.getChild('Identifier');
        const labels = node
          .getChild('LabelMatchers')
          ?.getChildren('UnquotedLabelMatcher')
          .map((matcher) => matcher.getChild('LabelName'))
          .filter((label) => label !== null)
          .map((label) => text(label.from, label.to));
        selectors.push({
          metric: identifier ? text(identifier.from, identifier.to) : '',
          labels: labels ?? [],
        });
      }
      if (ref.name === 'GroupingLabels') {
        for (const label of ref.node.getChildren('LabelName')) {
          groupingLabels.push(text(label.from, label.to));
        }
      }
    },
  });
  return { selectors, groupingLabels, syntaxErrors };
}

const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'] as const;
const DEFINITIONS: readonly MetricDefinition[] = Object.values(METRICS);

/**
 * The catalog entry a series name belongs to: the metric itself, or for a histogram its `_bucket`,
 * `_sum` and `_count` series. Undefined when no exported metric has that series.
 */
export function catalogEntryOf(series: string): MetricDefinition | undefined {
  for (const definition of DEFINITIONS) {
    if (definition.type === 'histogram') {
      if (HISTOGRAM_SUFFIXES.some((suffix) => series === definition.name + suffix)) {
        return definition;
      }
    } else if (series === definition.name) {
      return definition;
    }
  }
  return undefined;
}

/**
 * Problems with one query: keywarden_* series the catalog does not export, labels a selector matches
 * that its metric does not have, and grouping labels that none of the query's metrics has.
 */
export function checkQuery(expr: string): string[] {
  const problems: string[] = [];
  const references = readQuery(expr);
  if (references.syntaxErrors.length > 0) {
    problems.push(`syntax error at ${references.syntaxErrors.join(', ')} in ${expr}`);
  }
  const available = new Set(IMPLICIT_LABELS);
  for (const selector of references.selectors) {
    if (!selector.metric.startsWith('keywarden_')) {
      continue;
    }
    const entry = catalogEntryOf(selector.metric);
    if (entry === undefined) {
      problems.push(`${selector.metric} is not exported (src/metrics/catalog.ts)`);
      continue;
    }
    for (const label of entry.labels) {
      available.add(label);
    }
    for (const label of selector.labels) {
      if (!entry.labels.includes(label) && !IMPLICIT_LABELS.has(label)) {
        problems.push(`${selector.metric} has no label ${label}`);
      }
    }
  }
  for (const label of references.groupingLabels) {
    if (!available.has(label)) {
      problems.push(`no metric of the query has the label ${label} (in ${expr})`);
    }
  }
  return problems;
}
