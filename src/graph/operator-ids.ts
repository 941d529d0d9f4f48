/**
 * Operator ids, Flink's way: a hash of the user's uid when one is given, else a deterministic
 * hash of the node's position in the graph (its kind, the ids of its inputs, and its index
 * among the nodes sharing those inputs). The same builder therefore yields the same ids on
 * every run, which is what binds functions on TaskManagers and state in savepoints.
 */
import { JobBuildError } from '../core/errors.js';
import { hashId } from '../core/ids.js';
import type { StreamNode } from './stream-graph.js';

/** The operator id for a user-given uid. */
export function operatorIdForUid(uid: string): string {
  return hashId('uid:' + uid);
}

/**
 * Assigns an operator id to every node. `nodes` must be in topological order (creation order
 * of a StreamGraph). Throws a JobBuildError on a duplicate uid.
 */
export function assignOperatorIds(nodes: readonly StreamNode[]): Map<number, string> {
  const ids = new Map<number, string>();
  const uidOwners = new Map<string, StreamNode>();
  const siblingCounts = new Map<string, number>();
  for (const node of nodes) {
    // Count siblings even for nodes with a uid, so adding a uid to one node does not shift
    // the generated ids of its siblings.
    const inputHashes = node.inEdges.map((e) => {
      const h = ids.get(e.sourceId);
      if (h === undefined) throw new JobBuildError(`operator ${node.name} is listed before its input ${e.sourceId}`);
      return h;
    });
    const inputsKey = inputHashes.join(',');
    const sibling = siblingCounts.get(inputsKey) ?? 0;
    siblingCounts.set(inputsKey, sibling + 1);
    if (node.uid !== undefined) {
      const owner = uidOwners.get(node.uid);
      if (owner) {
        throw new JobBuildError(`duplicate uid '${node.uid}': used by '${owner.name}' and '${node.name}'`);
      }
      uidOwners.set(node.uid, node);
      ids.set(node.id, operatorIdForUid(node.uid));
    } else {
      ids.set(node.id, hashId(`node|${node.kind}|${inputsKey}|${sibling}`));
    }
  }
  const seen = new Map<string, number>();
  for (const [nodeId, id] of ids) {
    const other = seen.get(id);
    if (other !== undefined) throw new JobBuildError(`operators ${other} and ${nodeId} got the same id ${id}`);
    seen.set(id, nodeId);
  }
  return ids;
}
