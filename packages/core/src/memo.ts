/**
 * Remembers a pure function's answers for the last keys seen, at most `max` of them (the whole
 * memory is dropped when it is full: no bookkeeping per hit). For hot paths that see the same
 * few inputs again and again: header and field names, an integration's endpoint URLs.
 */
export function memoize<V>(fn: (key: string) => V, max: number): (key: string) => V {
  const known = new Map<string, V>();
  return (key) => {
    let value = known.get(key);
    if (value === undefined && !known.has(key)) {
      value = fn(key);
      if (known.size >= max) known.clear();
      known.set(key, value);
    }
    return value as V;
  };
}
