export { METRICS, METRIC_NAMES, type MetricDefinition, type MetricType } from './catalog.ts';
export { createMetrics, type Metrics } from './registry.ts';
export { reconcilerMetrics } from './reconciler-events.ts';
export { startHealthServer, type HealthServer, type Readiness } from './server.ts';
