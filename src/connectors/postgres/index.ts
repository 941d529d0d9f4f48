/** The PostgreSQL connectors: a batching, upserting, exactly-once sink and a CDC source. */
export { PostgresSink, PostgresSinkBuilder, type PostgresDeliveryGuarantee } from './postgres-sink.js';
export type { PostgresConnectionOptions } from './postgres-connection.js';
export { PostgresCdcSource, PostgresCdcSourceBuilder, type ChangeRow, type CdcStartupMode } from './postgres-cdc-source.js';
