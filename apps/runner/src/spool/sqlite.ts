// The SQLite spool lives in ./sqlite/: spool.ts (the front, on the caller's thread), worker.ts and
// store.ts (the writer thread and its connection), and one module per part of the store.
export { openSqliteSpool, dedupeDefaults, type SqliteSpool, type SqliteSpoolOptions } from './sqlite/spool.js';
