/**
 * The panel's traffic job (reference/xui-api.md §8): every tick it adds the traffic Xray reported,
 * converts a negative ("start after first use") expiry, auto-renews clients with `reset > 0`, then
 * disables depleted or expired ones (in the traffic row only, or everywhere, by version).
 */
import type { PanelModel } from './store.ts';

/**
 * One run of the traffic job (§8): add polled traffic (converting a negative expiry on first use),
 * auto-renew clients with `reset > 0`, then disable depleted or expired ones.
 */
export function runTrafficJob(model: PanelModel): void {
  const now = model.now();
  for (const [key, row] of model.traffic) {
    const client = model.clients.get(key);
    if (row.pendingUp > 0 || row.pendingDown > 0) {
      row.up += row.pendingUp;
      row.down += row.pendingDown;
      row.pendingUp = 0;
      row.pendingDown = 0;
      row.lastOnline = now;
      if (row.expiryTime < 0) {
        row.expiryTime = now - row.expiryTime;
        if (client !== undefined) {
          client.expiryTime = row.expiryTime;
        }
      }
    }
    // main also renews on a calendar day (resetDay > 0) and stops after resetMax renewals (§8).
    const resetDay = model.traits.hasCycleFields ? (client?.resetDay ?? 0) : 0;
    const isCapped = client !== undefined && client.resetMax > 0 && client.resetCount >= client.resetMax;
    if ((row.reset > 0 || resetDay > 0) && !isCapped && row.expiryTime > 0 && row.expiryTime <= now) {
      // A calendar renewal moves to the same day next month; 30 days stands in for that here.
      const periodMs = (row.reset > 0 ? row.reset : 30) * 86_400_000;
      while (row.expiryTime <= now) {
        row.expiryTime += periodMs;
      }
      row.up = 0;
      row.down = 0;
      row.enable = true;
      if (client !== undefined) {
        client.expiryTime = row.expiryTime;
        client.enable = true; // Auto-renew revives clients even when an admin disabled them (§7.3).
        client.resetCount++;
        client.updatedAt = now;
      }
    }
    const isDepleted = row.total > 0 && row.up + row.down >= row.total;
    const isExpired = row.expiryTime > 0 && row.expiryTime <= now;
    if (row.enable && (isDepleted || isExpired)) {
      row.enable = false;
      if (client !== undefined && model.depletionStyle === 'everywhere') {
        client.enable = false;
        client.updatedAt = now;
      }
    }
  }
}

/** A client traffic reset cycle (main `resetClientsOnTheirOwnCycle`). */
export type TrafficResetPeriod = 'hourly' | 'daily' | 'weekly' | 'monthly';

/**
 * One run of main's per-client traffic reset cron for `period` (§8): every client whose `trafficReset`
 * is that period gets its counters zeroed and is re-enabled, like `resetTraffic` — except a client an
 * admin disabled below its quota. Returns the emails reset.
 */
export function runTrafficResetCycle(model: PanelModel, period: TrafficResetPeriod): string[] {
  const reset: string[] = [];
  if (!model.traits.hasCycleFields) {
    return reset;
  }
  for (const [key, client] of model.clients) {
    const row = model.traffic.get(key);
    if (client.trafficReset !== period || row === undefined) {
      continue;
    }
    const isDepleted = row.total > 0 && row.up + row.down >= row.total;
    if (!client.enable && !isDepleted) {
      continue;
    }
    row.up = 0;
    row.down = 0;
    row.enable = true;
    client.enable = true;
    client.updatedAt = model.now();
    reset.push(client.email);
  }
  return reset;
}
