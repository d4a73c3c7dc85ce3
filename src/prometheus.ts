export type { PrometheusMetricsOptions, ResilienceCollectors } from './metrics/prometheus.js';
export { RESILIENCE_METRICS, registerResilienceMetrics } from './metrics/prometheus.js';
export type { MetricsServer, MetricsSource, ServeMetricsOptions } from './metrics/serveMetrics.js';
export { serveMetrics } from './metrics/serveMetrics.js';
