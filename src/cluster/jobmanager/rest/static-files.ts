/**
 * The dashboard's static files (HTML, CSS, JS) from `web/` beside the compiled sources
 * (`dist/web`, copied there by the build; `src/web` when running from sources). Only plain file
 * names in that one directory are served, so no path can escape it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

const FILE_NAME = /^[a-z0-9][a-z0-9._-]*\.(html|css|js|svg|ico)$/;

/** A static file ready to send. */
export interface StaticFile {
  body: Buffer;
  contentType: string;
}

/** Serves the dashboard directory. */
export class StaticFiles {
  readonly dir: string;
  private readonly cache = new Map<string, StaticFile>();

  constructor(dir?: string) {
    this.dir = dir ?? resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'web');
  }

  /** The file for a URL path (`/` = index.html), or undefined. */
  get(urlPath: string): StaticFile | undefined {
    const name = urlPath === '/' || urlPath === '' ? 'index.html' : urlPath.replace(/^\//, '');
    if (!FILE_NAME.test(name)) return undefined;
    const cached = this.cache.get(name);
    if (cached) return cached;
    const file = join(this.dir, name);
    if (!existsSync(file)) return undefined;
    const entry = { body: readFileSync(file), contentType: CONTENT_TYPES[extname(name)] ?? 'application/octet-stream' };
    this.cache.set(name, entry);
    return entry;
  }
}
