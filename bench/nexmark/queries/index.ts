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
import { q9 } from './q9.js';
import { q10 } from './q10.js';
import { q13 } from './q13.js';
import { q14 } from './q14.js';
import { q15 } from './q15.js';
import { q16 } from './q16.js';
import { q17 } from './q17.js';
import { q18 } from './q18.js';
import { q19 } from './q19.js';
import { q20 } from './q20.js';
import { q21 } from './q21.js';
import { q22 } from './q22.js';
import { q23 } from './q23.js';

/** A query: a pipeline from the event stream to its result stream. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any result type
export type NexmarkQuery = (events: DataStream<NexmarkEvent>) => DataStream<any>;

/** Every implemented query. */
export const QUERIES: Record<string, NexmarkQuery> = { q0, q1, q2, q3, q4, q5, q7, q8, q9, q10, q11, q12, q13, q14, q15, q16, q17, q18, q19, q20, q21, q22, q23 };
