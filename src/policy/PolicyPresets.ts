import { type Policy, validatePolicy } from './Policy.js';

type Figures = Pick<Policy, 'failureThreshold' | 'minimumRequests' | 'windowMs' | 'rate' | 'burst' | 'openTimeoutMs'> &
  Partial<Policy>;

function preset(f: Figures): Policy {
  return validatePolicy({
    windowBuckets: 10,
    halfOpenTrials: 3,
    halfOpenSuccesses: 3,
    trialTimeoutMs: 30_000,
    adaptive: true,
    classifier: 'all',
    ...f,
  });
}

/**
 * The specification's five policies. Threshold, minimum requests, window, rate and burst are
 * the specification's figures; open timeout, trials and the network preset's minimum requests
 * are our defaults (see the README's table of presets). Every preset is adaptive.
 */
export const PolicyPresets = {
  /** Authentication, configuration, critical infrastructure: fail fast, low tolerance. */
  critical: (): Policy =>
    preset({ failureThreshold: 0.3, minimumRequests: 5, windowMs: 15_000, rate: 50, burst: 75, openTimeoutMs: 15_000 }),
  /** General services. */
  standard: (): Policy =>
    preset({ failureThreshold: 0.5, minimumRequests: 10, windowMs: 30_000, rate: 100, burst: 200, openTimeoutMs: 30_000 }),
  /** Remote caches, artifact stores, external services: only network errors count. */
  network: (): Policy =>
    preset({
      failureThreshold: 0.4,
      minimumRequests: 10,
      windowMs: 20_000,
      rate: 150,
      burst: 300,
      openTimeoutMs: 20_000,
      classifier: 'network',
    }),
  /** Worker coordination, internal high-traffic services. */
  highThroughput: (): Policy =>
    preset({ failureThreshold: 0.6, minimumRequests: 15, windowMs: 45_000, rate: 500, burst: 1000, openTimeoutMs: 10_000 }),
  /** Monitoring, telemetry, best effort. */
  relaxed: (): Policy =>
    preset({
      failureThreshold: 0.7,
      minimumRequests: 20,
      windowMs: 60_000,
      rate: 200,
      burst: 500,
      openTimeoutMs: 30_000,
      halfOpenTrials: 5,
      halfOpenSuccesses: 3,
    }),
} as const;

/** Names of the presets, as the configuration file spells them. */
export type PresetName = keyof typeof PolicyPresets;
