/**
 * Paths that arrive from outside (REST bodies, RPC fields: savepoint targets, restore paths)
 * are resolved and kept inside configured root directories, so that a caller cannot make the
 * cluster read or write elsewhere (`../../etc`, absolute paths, symlinked escapes).
 */
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { InvalidArgumentError } from './errors.js';

/**
 * Resolves `path` against the first root (when relative) and checks that the result lies
 * inside one of `roots` (a root itself counts as inside). Symbolic links are followed for the
 * part of the path that exists, so a link pointing out of a root does not pass. With no roots
 * configured (`roots` empty or all undefined) the normalised absolute path is returned as is:
 * there is nothing to confine it to.
 *
 * @throws InvalidArgumentError naming the path when it escapes every root or is not a usable path
 */
export function resolveInsideRoots(path: string, roots: readonly (string | undefined)[], what = 'path'): string {
  if (typeof path !== 'string' || path.trim() === '') throw new InvalidArgumentError(`${what} must be a non-empty path`);
  if (path.includes('\0')) throw new InvalidArgumentError(`${what} contains a NUL byte`);
  const configured = roots.filter((r): r is string => typeof r === 'string' && r.length > 0).map((r) => resolve(r));
  if (configured.length === 0) return resolve(path);
  const candidate = isAbsolute(path) ? resolve(path) : resolve(configured[0]!, path);
  const real = realpathOfExistingPrefix(candidate);
  for (const root of configured) {
    const realRoot = realpathOfExistingPrefix(root);
    if (isInside(realRoot, real)) return candidate;
  }
  throw new InvalidArgumentError(`${what} ${JSON.stringify(path)} is outside the configured directories (${configured.join(', ')})`);
}

/** True when `child` is `parent` or lies below it (both absolute and normalised). */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** `realpath` of the longest existing prefix of `path`, with the missing rest appended. */
function realpathOfExistingPrefix(path: string): string {
  let existing = path;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = realpathSync(existing);
      return rest.length === 0 ? real : resolve(real, ...rest.reverse());
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return path;
      rest.push(existing.slice(parent.length).replace(/^[\\/]+/, ''));
      existing = parent;
    }
  }
}
