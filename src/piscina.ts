export type { ResilientWorkerData } from './integrations/piscina.js';
export { createResilientPool } from './integrations/piscina.js';
