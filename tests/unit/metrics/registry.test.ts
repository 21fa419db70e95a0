import { describe, expect, it } from 'vitest';
import { createMetrics, METRIC_NAMES, reconcilerMetrics } from '../../../src/metrics/index.ts';

describe('metrics registry', () => {
  it('registers exactly the catalog metrics (plus process metrics)', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const names = (await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name).sort();
    expect(names).toEqual([...METRIC_NAMES].sort());
  });

  it('exports keys by desired state and drift by kind with bounded labels, zeros included', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const events = reconcilerMetrics(metrics);
    events.panelPlanned({
      panel: 'edge-1',
      keys: new Map([['enabled:entitled', 3]]),
      drift: new Map([['expiry-mismatch', 2]]),
      needsHuman: new Map([['missing-inbound', 1]]),
      held: 0,
      syncedAt: 1_700_000_000,
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain('keywarden_keys{panel="edge-1",desired="enabled",reason="entitled"} 3');
    expect(text).toContain('keywarden_keys{panel="edge-1",desired="disabled",reason="expired"} 0');
    expect(text).toContain('keywarden_drift{panel="edge-1",kind="expiry-mismatch"} 2');
    expect(text).toContain('keywarden_drift{panel="edge-1",kind="missing-client"} 0');
    expect(text).toContain('keywarden_last_full_sync_timestamp_seconds{panel="edge-1"} 1700000000');
    expect(text).toContain('keywarden_keys_needs_human{panel="edge-1",kind="missing-inbound"} 1');
    expect(text).toContain('keywarden_keys_needs_human{panel="edge-1",kind="identity-mismatch"} 0');
  });
});
