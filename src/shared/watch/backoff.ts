// Exponential backoff with jitter for reconnecting list/watch loops.

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** 0..1: the share of each delay that is randomised (0.5 → delay in [d/2, d]). */
  jitter: number;
}

export const defaultBackoff: BackoffPolicy = { initialMs: 500, maxMs: 30_000, factor: 2, jitter: 0.5 };

/** Delays grow by `factor` per consecutive failure up to `maxMs`; `reset` after a success. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly policy: BackoffPolicy = defaultBackoff,
    private readonly random: () => number = Math.random,
  ) {
    if (!(policy.initialMs > 0) || !(policy.maxMs >= policy.initialMs) || !(policy.factor >= 1)) {
      throw new Error(`watch: invalid backoff policy ${JSON.stringify(policy)}: need 0 < initialMs <= maxMs, factor >= 1`);
    }
    if (!(policy.jitter >= 0 && policy.jitter <= 1)) {
      throw new Error(`watch: invalid backoff jitter ${policy.jitter}: need 0..1`);
    }
  }

  /** Consecutive failures so far. */
  get failures(): number {
    return this.attempt;
  }

  next(): number {
    const base = Math.min(this.policy.maxMs, this.policy.initialMs * this.policy.factor ** this.attempt);
    this.attempt++;
    // Jitter spreads the reconnects of many caches (and many consoles) after an outage.
    return Math.round(base * (1 - this.policy.jitter * this.random()));
  }

  reset(): void {
    this.attempt = 0;
  }
}
