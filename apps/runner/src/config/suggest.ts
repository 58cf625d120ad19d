import { distance } from 'fastest-levenshtein';

/**
 * "Did you mean" for config mistakes: the known word closest to a typo, or
 * the snake_case spelling of a camelCase key (`writeKey` → `write_key`).
 */
export function didYouMean(word: string, known: readonly string[]): string | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const same = known.find((k) => squash(k) === squash(word));
  if (same !== undefined) return same;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = distance(word.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  if (best === undefined) return undefined;
  // Close enough to be a typo (a swapped pair counts 2), not just another short word.
  const limit = best.length <= 3 ? 1 : best.length <= 8 ? 2 : 3;
  return bestDistance <= limit ? best : undefined;
}

interface ZodLike {
  _zod: { def: Record<string, unknown> & { type: string } };
}

const wrappers = new Set(['default', 'prefault', 'optional', 'nullable', 'nonoptional', 'catch', 'readonly', 'success']);

function unwrap(schema: ZodLike): ZodLike {
  let s = schema;
  for (let guard = 0; guard < 20; guard++) {
    const def = s._zod.def;
    if (wrappers.has(def.type)) s = def['innerType'] as ZodLike;
    else if (def.type === 'pipe') s = def['in'] as ZodLike;
    else if (def.type === 'lazy') s = (def['getter'] as () => ZodLike)();
    else break;
  }
  return s;
}

/** The schemas a value at `segment` of `schema` is checked by (unions give several). */
function childSchemas(schema: ZodLike, segment: PropertyKey): ZodLike[] {
  const s = unwrap(schema);
  const def = s._zod.def;
  switch (def.type) {
    case 'object': {
      const child = (def['shape'] as Record<string, ZodLike>)[String(segment)];
      return child === undefined ? [] : [child];
    }
    case 'array':
      return [def['element'] as ZodLike];
    case 'record':
      return [def['valueType'] as ZodLike];
    case 'union':
      return (def['options'] as ZodLike[]).flatMap((o) => childSchemas(o, segment));
    case 'intersection':
      return [...childSchemas(def['left'] as ZodLike, segment), ...childSchemas(def['right'] as ZodLike, segment)];
    default:
      return [];
  }
}

function keysOf(schema: ZodLike): string[] {
  const s = unwrap(schema);
  const def = s._zod.def;
  if (def.type === 'object') return Object.keys(def['shape'] as object);
  if (def.type === 'union') return [...new Set((def['options'] as ZodLike[]).flatMap(keysOf))];
  if (def.type === 'intersection') return [...keysOf(def['left'] as ZodLike), ...keysOf(def['right'] as ZodLike)];
  return [];
}

/** The keys an object at `path` may have, read from the zod schema (empty when unknown). */
export function knownKeysAt(schema: unknown, path: readonly PropertyKey[]): string[] {
  if ((schema as Partial<ZodLike> | null)?._zod?.def === undefined) return [];
  let current: ZodLike[] = [schema as ZodLike];
  for (const segment of path) current = current.flatMap((s) => childSchemas(s, segment));
  return [...new Set(current.flatMap(keysOf))];
}

/** `Unrecognized key: "prot"` (zod's wording) → the fix, with a suggestion when one is close. */
export function unknownKeyFix(keys: readonly string[], known: readonly string[]): string {
  const hints = keys.map((k) => ({ k, near: didYouMean(k, known) })).filter((h) => h.near !== undefined);
  if (hints.length > 0) return `Fix: did you mean ${hints.map((h) => `"${h.near}"${keys.length > 1 ? ` (for "${h.k}")` : ''}`).join(', ')}?`;
  return known.length > 0 ? `Fix: remove it or check its spelling (known keys here: ${known.join(', ')})` : 'Fix: remove it or check its spelling';
}

/** The keys zod names in an unrecognized-keys message. */
export function keysInMessage(message: string): string[] {
  if (!/^Unrecognized keys?:/i.test(message)) return [];
  return [...message.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
}
