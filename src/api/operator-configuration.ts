/**
 * Per-operator settings shared by operator streams and sinks (`setParallelism`, `uid`,
 * `name`, chaining), validated as they are set.
 */
import { JobBuildError } from '../core/errors.js';
import type { StreamNode } from '../graph/stream-graph.js';
import { UPPER_BOUND_MAX_PARALLELISM } from '../state/key-groups.js';
import { requireParallelism } from './function-checks.js';

/** What the configuration needs from the environment: the uids already taken. */
export interface UidRegistry {
  /** uid → node id. */
  readonly uids: Map<string, number>;
}

/** Sets the parallelism of `node`, checking it against its max parallelism and forward inputs. */
export function configureParallelism(node: StreamNode, parallelism: number): void {
  requireParallelism(`parallelism of '${node.name}'`, parallelism);
  if (node.maxParallelism !== undefined && parallelism > node.maxParallelism) {
    const hint = typeof node.settings.nonParallel === 'string' ? node.settings.nonParallel : 'a non-parallel source';
    const why = node.kind === 'source' && node.maxParallelism === 1 ? ` (${hint})` : '';
    throw new JobBuildError(`parallelism ${parallelism} of '${node.name}' is above its max parallelism ${node.maxParallelism}${why}`);
  }
  node.parallelism = parallelism;
}

/** Sets the max parallelism (number of key groups) of `node`. */
export function configureMaxParallelism(node: StreamNode, maxParallelism: number): void {
  if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > UPPER_BOUND_MAX_PARALLELISM) {
    throw new JobBuildError(`max parallelism of '${node.name}' must be an integer in [1, ${UPPER_BOUND_MAX_PARALLELISM}], got ${maxParallelism}`);
  }
  if (node.parallelism !== undefined && node.parallelism > maxParallelism) {
    throw new JobBuildError(`max parallelism ${maxParallelism} of '${node.name}' is below its parallelism ${node.parallelism}`);
  }
  node.maxParallelism = maxParallelism;
}

/** Gives `node` a uid, refusing one already used by another operator. */
export function configureUid(registry: UidRegistry, node: StreamNode, uid: string): void {
  if (typeof uid !== 'string' || uid === '') throw new JobBuildError(`uid of '${node.name}' must be a non-empty string`);
  const owner = registry.uids.get(uid);
  if (owner !== undefined && owner !== node.id) throw new JobBuildError(`duplicate uid '${uid}': it is already used by another operator`);
  if (node.uid !== undefined) registry.uids.delete(node.uid);
  registry.uids.set(uid, node.id);
  node.uid = uid;
}

/** Renames `node`. */
export function configureName(node: StreamNode, name: string): void {
  if (typeof name !== 'string' || name === '') throw new JobBuildError('an operator name must be a non-empty string');
  node.name = name;
}

/** Starts a new chain at `node` (Flink's `startNewChain`). */
export function configureStartNewChain(node: StreamNode): void {
  if (node.chainingStrategy !== 'NEVER') node.chainingStrategy = 'HEAD';
}

/** Keeps `node` out of any chain (Flink's `disableChaining`). */
export function configureDisableChaining(node: StreamNode): void {
  node.chainingStrategy = 'NEVER';
}
