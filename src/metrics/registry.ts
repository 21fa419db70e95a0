/**
 * The one prom-client registry of the process: every metric of catalog.ts (exactly those, with their
 * labels and buckets) plus prom-client's default process metrics.
 */
import client from 'prom-client';
import { METRICS } from './catalog.ts';

type MetricKey = keyof typeof METRICS;
type MetricOf<K extends MetricKey> = (typeof METRICS)[K]['type'] extends 'counter'
  ? client.Counter
  : (typeof METRICS)[K]['type'] extends 'gauge'
    ? client.Gauge
    : client.Histogram;

/** The registry and typed access to every catalog metric. */
export interface Metrics {
  readonly registry: client.Registry;
  get<K extends MetricKey>(key: K): MetricOf<K>;
}

/** Creates a registry with every catalog metric and the default process metrics. */
export function createMetrics(options: { readonly defaultMetrics?: boolean } = {}): Metrics {
  const registry = new client.Registry();
  if (options.defaultMetrics ?? true) {
    client.collectDefaultMetrics({ register: registry });
  }
  const metrics = new Map<string, client.Counter | client.Gauge | client.Histogram>();
  for (const [key, definition] of Object.entries(METRICS)) {
    const common = {
      name: definition.name,
      help: definition.help,
      labelNames: [...definition.labels],
      registers: [registry],
    };
    switch (definition.type) {
      case 'counter':
        metrics.set(key, new client.Counter(common));
        break;
      case 'gauge':
        metrics.set(key, new client.Gauge(common));
        break;
      case 'histogram':
        metrics.set(
          key,
          new client.Histogram({
            ...common,
            ...('buckets' in definition ? { buckets: [...definition.buckets] } : {}),
          }),
        );
        break;
    }
  }
  return {
    registry,
    get<K extends MetricKey>(key: K): MetricOf<K> {
      const metric = metrics.get(key);
      if (metric === undefined) {
        throw new Error(`metric ${key} is not registered`);
      }
      return metric as MetricOf<K>;
    },
  };
}
