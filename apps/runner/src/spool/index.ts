// `@signal/runner/spool`: the spool drivers, for tools and tests that drive a spool directly.
export { openSqliteSpool, type SqliteSpool, type SqliteSpoolOptions } from './sqlite.js';
export { openNatsSpool, NatsSpoolError, type NatsSpool, type NatsSpoolOptions } from './nats.js';
export { SpoolError } from './errors.js';
export type * from './types.js';
