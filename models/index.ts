export * from './errors.js';
export * from './views.js';
export { openDatabase, closeDatabase, isStoreUnavailable } from './db.js';
export { createSessions, type Sessions } from './sessions.js';
export { nextId } from './ids.js';
export * as users from './users.js';
export * as videos from './videos.js';
