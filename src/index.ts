export type { BreakerState as BreakerStateValue } from './breaker/BreakerState.js';
export { BREAKER_STATE_NAMES, BreakerState, Rejection } from './breaker/BreakerState.js';
export { CONFIG_FILE_NAME, findConfigFile, loadConfig, MAX_ALIAS_COUNT, MAX_CONFIG_BYTES, parseConfig } from './config/loadConfig.js';
export type { LoadConfigOptions, LoadedConfig } from './config/loadConfig.js';
export { createServiceFromConfig } from './config/createServiceFromConfig.js';
export type { ConfigWatcher, WatchConfigOptions } from './config/watchConfig.js';
export { watchConfig } from './config/watchConfig.js';
export { MAX_NAME_BYTES } from './core/layout.generated.js';
export { ManualClock } from './core/ManualClock.js';
export type { ClockKind, SharedClock } from './core/SharedClock.js';
export type { SlabHandle } from './core/Slab.js';
export { DEFAULT_CAPACITY, MAX_CAPACITY } from './core/Slab.js';
export { CapacityError, isCapacityError } from './errors/CapacityError.js';
export { CircuitOpenError, isCircuitOpenError } from './errors/CircuitOpenError.js';
export type { ConfigErrorDetails, ConfigIssue } from './errors/ConfigError.js';
export { ConfigError, isConfigError } from './errors/ConfigError.js';
export { EndpointNameError, isEndpointNameError } from './errors/EndpointNameError.js';
export { isRateLimitError, RateLimitError } from './errors/RateLimitError.js';
export type { ResilienceErrorCode, ResilienceErrorJSON } from './errors/ResilienceError.js';
export { isResilienceError, ResilienceError } from './errors/ResilienceError.js';
export { isResilienceTimeoutError, ResilienceTimeoutError } from './errors/ResilienceTimeoutError.js';
export { reviveResilienceError } from './errors/revive.js';
export { isSlabAttachError, SlabAttachError } from './errors/SlabAttachError.js';
export { healthFactor, STATE_RATE_FACTORS } from './limiter/AdaptiveRate.js';
export { classOf, Priority } from './limiter/PriorityGate.js';
export type { FailureClassifier } from './policy/classifiers.js';
export { isNetworkError, registerClassifier } from './policy/classifiers.js';
export type { Duration } from './policy/duration.js';
export { parseDuration } from './policy/duration.js';
export type { Policy } from './policy/Policy.js';
export { validatePolicy } from './policy/Policy.js';
export { PolicyBuilder } from './policy/PolicyBuilder.js';
export type { PresetName } from './policy/PolicyPresets.js';
export { PolicyPresets } from './policy/PolicyPresets.js';
export type { EndpointHandle } from './service/EndpointHandle.js';
export type { Health, HealthListener, HealthMonitorOptions, HealthSource } from './service/health.js';
export type {
  MetricsUpdateCallback,
  ResilienceConfig,
  ResilienceEvents,
  ResilienceServiceOptions,
  StateChangeEvent,
  Subscription,
} from './service/ResilienceService.js';
export { ResilienceService } from './service/ResilienceService.js';
export type { BreakerStatistics, EndpointStats, LimiterMetrics } from './service/stats.js';
export type { ActionRequest, ActionResult, ActionSpec } from './integrations/executor/ActionResult.js';
export type { Coordinator, CoordinatorOptions } from './integrations/executor/Coordinator.js';
export { startCoordinator } from './integrations/executor/Coordinator.js';
export { CoordinatorHttpError, isCoordinatorHttpError } from './integrations/executor/CoordinatorHttpError.js';
export {
  COORDINATOR_CLASSIFIER,
  coordinatorPolicy,
  isCoordinatorFailure,
  registerCoordinatorClassifier,
} from './integrations/executor/coordinatorClassifier.js';
export type { RemoteExecuteOptions, RemoteExecutorConfig } from './integrations/executor/RemoteExecutor.js';
export { RemoteExecutor } from './integrations/executor/RemoteExecutor.js';
export type { ResilientRemoteExecutorOptions } from './integrations/executor/ResilientRemoteExecutor.js';
export { actionPriority, coordinatorEndpointName, ResilientRemoteExecutor } from './integrations/executor/ResilientRemoteExecutor.js';
export type { Result } from './integrations/Result.js';
export { Err, err, Ok, ok } from './integrations/Result.js';
export type { HttpWorkerTransportOptions } from './integrations/transport/HttpWorkerTransport.js';
export { HttpWorkerTransport } from './integrations/transport/HttpWorkerTransport.js';
export type { ActionSummary, Heartbeat, StealRequest, StealResponse, WorkerMessageKind } from './integrations/transport/messages.js';
export { MAX_ID_LENGTH, MAX_STOLEN_ACTIONS } from './integrations/transport/messages.js';
export type { ResilientTransportOptions } from './integrations/transport/ResilientTransportFactory.js';
export { ResilientTransportFactory, workerEndpointName } from './integrations/transport/ResilientTransportFactory.js';
export type { ResilientWorkerTransportOptions } from './integrations/transport/ResilientWorkerTransport.js';
export { ResilientWorkerTransport, WORKER_MESSAGE_PRIORITY } from './integrations/transport/ResilientWorkerTransport.js';
export type { TransportErrorCode } from './integrations/transport/TransportError.js';
export { isTransportError, TransportError } from './integrations/transport/TransportError.js';
export type { WorkerTransport } from './integrations/transport/WorkerTransport.js';
export type { WorkerProtocolHandlers, WorkerProtocolServerOptions } from './integrations/transport/WorkerProtocolServer.js';
export { WorkerProtocolServer } from './integrations/transport/WorkerProtocolServer.js';
export type { CacheHttpErrorJSON } from './integrations/cache/CacheHttpError.js';
export { CacheHttpError, isCacheHttpError } from './integrations/cache/CacheHttpError.js';
export { CacheTimeoutError, isCacheTimeoutError } from './integrations/cache/CacheTimeoutError.js';
export type { CacheBody, CacheCallOptions, CacheKind, CacheTransport } from './integrations/cache/CacheTransport.js';
export { MAX_HASH_LENGTH } from './integrations/cache/CacheTransport.js';
export type { HttpCacheConfig } from './integrations/cache/HttpCacheTransport.js';
export { DEFAULT_CACHE_TIMEOUT_MS, HttpCacheTransport } from './integrations/cache/HttpCacheTransport.js';
export type { CacheRetryOptions, ResilientCacheConfig } from './integrations/cache/ResilientCacheTransport.js';
export { CACHE_PRIORITIES, ResilientCacheTransport } from './integrations/cache/ResilientCacheTransport.js';
export type { RetryEvent, RetryOperation, RetryOptions } from './service/retry.js';
export { backoffDelay, MAX_ATTEMPTS, retry } from './service/retry.js';
