import type { FieldIssue } from './event.js';

/**
 * Limits on incoming event JSON beyond the Segment size limits (README "HTTP API"). Checked once
 * per request body by `findInputViolation`, before validation, so nothing deeper or stranger
 * than this reaches the schema, the spool or a plugin.
 */
export const inputLimits = {
  /** Objects/arrays nested in one event: the event itself is level 1, `properties` level 2. */
  maxDepth: 64,
  /** Characters in a message_id (the dedupe key, also sent to vendors in headers). */
  maxMessageIdLength: 200,
} as const;

/** Longest path shown in an issue: a deep path is cut in the middle. */
const maxShownPath = 160;

function shownPath(segments: readonly (string | number)[]): string {
  const path = segments.length === 0 ? '(root)' : segments.join('.');
  if (path.length <= maxShownPath) return path;
  return `${path.slice(0, maxShownPath / 2)}…${path.slice(-maxShownPath / 2)}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface InputCheckOptions {
  /** Path segments of `value` (e.g. ['batch', 3]). */
  path?: (string | number)[];
  /** Nesting level of `value` itself: 1 for an event (the default), 0 for a wrapper such as `{ batch: [...] }`'s array. */
  depth?: number;
  maxDepth?: number;
}

/**
 * One pass over parsed JSON: the first value nested deeper than the limit, non-finite number
 * (`1e400` parses to Infinity) or prototype-changing key (`__proto__`, `constructor.prototype`),
 * as a field issue with its path; undefined when there is none. Stops descending at the depth
 * limit, so arbitrarily deep input costs at most `maxDepth` stack frames.
 */
export function findInputViolation(value: unknown, options: InputCheckOptions = {}): FieldIssue | undefined {
  const maxDepth = options.maxDepth ?? inputLimits.maxDepth;
  const path = [...(options.path ?? [])];
  const visit = (v: unknown, depth: number): FieldIssue | undefined => {
    if (typeof v === 'number') {
      return Number.isFinite(v) ? undefined : { path: shownPath(path), message: 'is a number too large to represent (JSON numbers must be finite, within ±1.8e308); send it as a string' };
    }
    if (typeof v !== 'object' || v === null) return undefined;
    if (depth > maxDepth) {
      return { path: shownPath(path), message: `is nested more than ${maxDepth} levels deep (the limit per event); flatten it` };
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        path.push(i);
        const found = visit(v[i], depth + 1);
        path.pop();
        if (found !== undefined) return found;
      }
      return undefined;
    }
    const record = v as Record<string, unknown>;
    // JSON.parse objects: own enumerable keys only, so for-in needs no hasOwn check (and allocates nothing).
    for (const key in record) {
      const child = record[key];
      path.push(key);
      if (key === '__proto__') {
        const issue = { path: shownPath(path), message: 'the key "__proto__" is not allowed (code that copies it can change object prototypes); rename it' };
        path.pop();
        return issue;
      }
      if (key === 'constructor' && isObject(child) && Object.hasOwn(child, 'prototype')) {
        path.push('prototype');
        const issue = { path: shownPath(path), message: 'a "constructor" object with a "prototype" key is not allowed (code that merges it can change object prototypes); rename one of the keys' };
        path.length -= 2;
        return issue;
      }
      const found = visit(child, depth + 1);
      path.pop();
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return visit(value, options.depth ?? 1);
}
