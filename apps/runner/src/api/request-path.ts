/**
 * A request's path as a router matches it: without the query, percent-decoded (an undecodable
 * path as sent). Every request passes here (the admin guard, the collector): most paths have
 * nothing to decode, so they cost one scan.
 */
export function requestPath(url: string): string {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (!path.includes('%')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
