/** The Nexmark queries by name. */
import type { DataStream } from 'fluss';
import type { NexmarkEvent } from 'fluss/nexmark';
import { q0 } from './q0.js';
import { q1 } from './q1.js';
import { q2 } from './q2.js';
import { q3 } from './q3.js';
import { q4 } from './q4.js';
import { q5 } from './q5.js';
import { q7 } from './q7.js';
import { q8 } from './q8.js';
import { q11 } from './q11.js';
import { q12 } from './q12.js';

/** A query: a pipeline from the event stream to its result stream. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any result type
export type NexmarkQuery = (events: DataStream<NexmarkEvent>) => DataStream<any>;

/** Every implemented query. */
export const QUERIES: Record<string, NexmarkQuery> = { q0, q1, q2, q3, q4, q5, q7, q8, q11, q12 };
