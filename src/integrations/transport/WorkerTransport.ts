import type { Heartbeat, StealRequest, StealResponse } from './messages.js';

/**
 * Sends the worker protocol's messages to one worker. The first argument of each call is the id
 * of the recipient (the worker at the transport's URL); the message names its sender. Each call
 * resolves when the recipient has accepted the message. `signal` aborts the call.
 */
export interface WorkerTransport {
  sendHeartBeat(workerId: string, heartbeat: Heartbeat, signal?: AbortSignal): Promise<void>;
  sendStealRequest(victimId: string, request: StealRequest, signal?: AbortSignal): Promise<void>;
  sendStealResponse(thiefId: string, response: StealResponse, signal?: AbortSignal): Promise<void>;
}
