import type { BreakerState } from '../breaker/BreakerState.js';

/** Rate limiter figures of one endpoint (the specification's `getLimiterMetrics`). */
export interface LimiterMetrics {
  /** Calls admitted (since registration or the last resetStats). */
  readonly accepted: number;
  /** Calls refused for want of a token (including waits that timed out). */
  readonly rejected: number;
  /** accepted / (accepted + rejected); 1 when there were no calls. */
  acceptanceRate(): number;
  /** rejected / (accepted + rejected); 0 when there were no calls. */
  rejectionRate(): number;
  /** Tokens per second allowed now (nominal × health × breaker-state factor when adaptive). */
  readonly currentRate: number;
  /** The policy's rate. */
  readonly nominalRate: number;
  /** Mean milliseconds an admitted call waited for its token (0 for calls that did not wait). */
  readonly avgWaitTimeMs: number;
  /** Admitted calls that had to wait. */
  readonly waitedCalls: number;
}

/** Circuit breaker figures of one endpoint (the specification's `getBreakerStatistics`). */
export interface BreakerStatistics {
  /** Calls admitted (since registration or the last resetStats). */
  readonly total: number;
  /** Calls recorded as failures. */
  readonly failures: number;
  /** failures / total (0 when total is 0, at most 1). */
  readonly failureRate: number;
  readonly state: BreakerState;
  /** Calls refused by the open circuit. */
  readonly rejected: number;
  /** State transitions since registration. */
  readonly transitions: number;
  /** The rolling window the breaker decides on. */
  readonly window: { readonly total: number; readonly failures: number; readonly failureRate: number };
}

/** Everything about one endpoint (an element of `getAllStats()`). */
export interface EndpointStats {
  readonly endpoint: string;
  readonly breakerState: BreakerState;
  readonly totalRequests: number;
  readonly failures: number;
  readonly failureRate: number;
  /** Calls refused by the open circuit (calls saved from a failing service). */
  readonly rejectedByBreaker: number;
  readonly limiterMetrics: LimiterMetrics;
}

/** failures / total, clamped to [0, 1]. */
export const ratio = (part: number, whole: number): number => (whole > 0 ? Math.min(1, part / whole) : 0);

class Metrics implements LimiterMetrics {
  constructor(
    readonly accepted: number,
    readonly rejected: number,
    readonly currentRate: number,
    readonly nominalRate: number,
    readonly avgWaitTimeMs: number,
    readonly waitedCalls: number,
  ) {}

  acceptanceRate(): number {
    const all = this.accepted + this.rejected;
    return all > 0 ? this.accepted / all : 1;
  }

  rejectionRate(): number {
    const all = this.accepted + this.rejected;
    return all > 0 ? this.rejected / all : 0;
  }

  toJSON(): Record<string, number> {
    return {
      accepted: this.accepted,
      rejected: this.rejected,
      acceptanceRate: this.acceptanceRate(),
      rejectionRate: this.rejectionRate(),
      currentRate: this.currentRate,
      nominalRate: this.nominalRate,
      avgWaitTimeMs: this.avgWaitTimeMs,
      waitedCalls: this.waitedCalls,
    };
  }
}

export function limiterMetrics(
  accepted: number,
  rejected: number,
  currentRate: number,
  nominalRate: number,
  waitMs: number,
  waited: number,
): LimiterMetrics {
  return new Metrics(accepted, rejected, currentRate, nominalRate, accepted > 0 ? waitMs / accepted : 0, waited);
}
