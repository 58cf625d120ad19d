import { LineCounter, isNode, parseDocument, type Document } from 'yaml';
import type { ConfigIssue } from './config-error.js';

/** Path segments → `integrations[1].settings.region`, the spelling every config error uses. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? '(root)' : out;
}

/** A parsed YAML file that can say on which line a path sits (for error messages). */
export interface YamlSource {
  value: unknown;
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

/**
 * `${NAME}` is not valid YAML inside flow collections (`{ key: ${NAME} }`, as
 * DESIGN.md's examples write it), so references become plain-scalar-safe
 * tokens before parsing and are resolved in the parsed values. Same length in
 * lines, so line numbers stay true.
 */
const envToken = (name: string) => `SIGNAL_ENV__${name}__END`;
const literalToken = (name: string) => `SIGNAL_LITERAL_ENV__${name}__END`;
const tokenPattern = /SIGNAL_(LITERAL_)?ENV__([A-Za-z_][A-Za-z0-9_]*?)__END/g;

export function protectEnvReferences(text: string): string {
  return text.replace(/(\$?)\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_whole, escape: string, name: string) => (escape === '$' ? literalToken(name) : envToken(name)));
}

export function parseYaml(text: string): { source?: YamlSource; issues: ConfigIssue[] } {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(protectEnvReferences(text), { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      issues: doc.errors.map((e) => ({
        path: '(yaml)',
        line: lineCounter.linePos(e.pos[0]).line,
        message: `${e.message.split('\n')[0]}. Fix the YAML syntax (indentation, colons; quote values that start with @, \`, * or contain ": ")`,
      })),
    };
  }
  const lineOf = (path: readonly PropertyKey[]): number | undefined => {
    // Walk up until a path exists (an issue about a missing key points at its parent).
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  return { source: { value: doc.toJS() ?? {}, lineOf }, issues: [] };
}

/**
 * Replaces `${NAME}` (tokenised by parseYaml) in string values with environment variables (write `$${`
 * for a literal `${`). Works on parsed values, not raw text, so a secret with
 * YAML-special characters cannot change the document's structure. A missing
 * variable is reported by name and place, never by value.
 */
export function substituteEnv(
  value: unknown,
  env: Record<string, string | undefined>,
  lineOf: (path: readonly PropertyKey[]) => number | undefined,
): { value: unknown; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const walk = (v: unknown, path: PropertyKey[]): unknown => {
    if (typeof v === 'string') {
      const replaced = v.replace(tokenPattern, (_whole, literal: string | undefined, name: string) => {
        if (literal !== undefined) return `\${${name}}`;
        const found = env[name];
        if (found === undefined || found === '') {
          issues.push({
            path: formatPath(path),
            line: lineOf(path),
            message: `environment variable ${name} is not set. Fix: export ${name}=... before starting Signal (or put the value in the file)`,
          });
          return '';
        }
        return found;
      });
      return replaced;
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]));
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, [...path, k])]));
    }
    return v;
  };
  return { value: walk(value, []), issues };
}
