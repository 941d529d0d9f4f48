/**
 * Fresh function instances for one subtask. A built job's functions are shared objects; a
 * subtask must not share fields (state handles, buffers set in `open`) with another, so
 * every object is shallow-cloned: same prototype, own properties copied. Plain functions
 * carry no per-instance fields of their own and are reused.
 */
import type { BuiltJob, EdgeFunctions, NodeFunctions, UserFunctions } from '../common/built-job.js';

/** A shallow clone of an object (same prototype, own property descriptors); functions and primitives as they are. */
export function shallowClone<X>(x: X): X {
  if (typeof x !== 'object' || x === null) return x;
  if (Array.isArray(x)) return [...x] as X;
  return Object.create(Object.getPrototypeOf(x), Object.getOwnPropertyDescriptors(x)) as X;
}

/** {@link UserFunctions} handing out per-subtask clones, the same clone on every lookup. */
class ClonedUserFunctions implements UserFunctions {
  private readonly nodes = new Map<number, NodeFunctions>();
  private readonly edges = new Map<string, EdgeFunctions>();
  /** One clone per original object, so an object used twice stays one object. */
  private readonly clones = new Map<unknown, unknown>();

  constructor(private readonly original: UserFunctions) {}

  private clone<X>(x: X): X {
    if (typeof x !== 'object' || x === null) return x;
    let c = this.clones.get(x);
    if (c === undefined) {
      c = shallowClone(x);
      this.clones.set(x, c);
    }
    return c as X;
  }

  node(nodeId: number): NodeFunctions {
    let fns = this.nodes.get(nodeId);
    if (!fns) {
      const o = this.original.node(nodeId);
      fns = { userFunction: this.clone(o.userFunction), keySelectors: o.keySelectors.map((k) => this.clone(k)) };
      // Strategies are immutable factories: every subtask creates its own generators from it.
      if (o.watermarkStrategy !== undefined) fns.watermarkStrategy = o.watermarkStrategy;
      this.nodes.set(nodeId, fns);
    }
    return fns;
  }

  edge(streamEdgeId: string): EdgeFunctions {
    let fns = this.edges.get(streamEdgeId);
    if (!fns) {
      const o = this.original.edge(streamEdgeId);
      fns = {};
      if (o.keySelector) fns.keySelector = this.clone(o.keySelector);
      if (o.partitioner) fns.partitioner = this.clone(o.partitioner);
      this.edges.set(streamEdgeId, fns);
    }
    return fns;
  }
}

/** The same job with fresh per-subtask function instances. */
export function cloneForSubtask(job: BuiltJob): BuiltJob {
  return { jobGraph: job.jobGraph, functions: new ClonedUserFunctions(job.functions), types: job.types, executionConfig: job.executionConfig };
}
