export type { AppRouter } from './api/index.js';
export { startManager, type ManagerOptions, type Manager } from './manager.js';
