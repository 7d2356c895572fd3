export { openDb, type Db } from './db.js';
export { JobStore } from './job-store.js';
export { EventStore, type CryoEvent } from './event-store.js';
