/** `record[key]` for an own key only: a name such as `constructor` never reads Object.prototype. */
export function ownValue<V>(record: Readonly<Record<string, V>> | undefined, key: string): V | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * Reads a dotted path (`properties.revenue`, `context.page.url`, `products.0.sku`)
 * through own properties only, so `properties.constructor` is the event's own
 * `constructor` property or nothing, never Object.prototype's.
 */
export function getPath(root: unknown, path: string): unknown {
  let current: unknown = root;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}
