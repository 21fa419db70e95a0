/** Settings that shape desired state and the safety valve (from src/config, passed in). */
export interface ReconcilePolicy {
  /** When set, enabled clients get expiryTime = coverage end + this margin (ms); else 0 (never). */
  readonly expiryMarginMs: number | undefined;
  /** Safety valve floor: this many disables per panel (and globally) always pass. */
  readonly valveMin: number;
  /** Safety valve percentage of currently enabled keys, 0–100. */
  readonly valvePercent: number;
}
