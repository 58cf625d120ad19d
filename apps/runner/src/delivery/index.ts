export { createDeliveryEngine } from './engine.js';
export type { AttemptEvent, DeliveryEngine, DeliveryEngineOptions } from './types.js';
