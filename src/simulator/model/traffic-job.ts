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
    if (row.reset > 0 && row.expiryTime > 0 && row.expiryTime <= now) {
      const periodMs = row.reset * 86_400_000;
      while (row.expiryTime <= now) {
        row.expiryTime += periodMs;
      }
      row.up = 0;
      row.down = 0;
      row.enable = true;
      if (client !== undefined) {
        client.expiryTime = row.expiryTime;
        client.enable = true; // Auto-renew revives clients even when an admin disabled them (§7.3).
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
