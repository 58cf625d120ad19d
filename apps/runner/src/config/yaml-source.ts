import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
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
 * `${NAME}` and `${file:/path}` are not valid YAML inside flow collections
 * (`{ key: ${NAME} }`, as DESIGN.md's examples write it), so references become
 * plain-scalar-safe tokens before parsing and are resolved in the parsed
 * values. A file path is hex-encoded in its token; tokens never span lines, so
 * line numbers stay true.
 */
const envToken = (name: string) => `SIGNAL_ENV__${name}__END`;
const literalToken = (name: string) => `SIGNAL_LITERAL_ENV__${name}__END`;
const fileToken = (path: string, literal: boolean) => `SIGNAL_${literal ? 'LITERAL_' : ''}FILE__${Buffer.from(path, 'utf8').toString('hex')}__END`;
const tokenPattern = /SIGNAL_(LITERAL_)?(ENV|FILE)__([A-Za-z0-9_]*?)__END/g;

export function protectEnvReferences(text: string): string {
  return text
    .replace(/(\$?)\$\{file:([^}\r\n]*)\}/g, (_whole, escape: string, path: string) => fileToken(path, escape === '$'))
    .replace(/(\$?)\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_whole, escape: string, name: string) => (escape === '$' ? literalToken(name) : envToken(name)));
}

/** Largest secret file read (a key or a token, not a document). */
const maxSecretFileBytes = 64 * 1024;

/** A secret file's value, without the trailing newline editors and `echo` add; or why it cannot be used (never its content). */
function readSecretFile(file: string): { value: string } | { problem: string } {
  try {
    const stat = statSync(file);
    if (stat.isDirectory()) return { problem: `${file} is a directory. Fix: point \${file:...} at the file inside it` };
    if (stat.size > maxSecretFileBytes) return { problem: `${file} is larger than ${maxSecretFileBytes / 1024} KB; a secret file holds one value. Fix: check the path` };
    const value = readFileSync(file, 'utf8').replace(/[\r\n]+$/, '');
    if (value === '') return { problem: `secret file ${file} is empty. Fix: put the value in it` };
    return { value };
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'read error';
    if (code === 'ENOENT') return { problem: `secret file ${file} does not exist. Fix: mount it (Docker/Kubernetes secrets appear under /run/secrets/), or fix the path` };
    return { problem: `secret file ${file} cannot be read (${code}). Fix: make it readable by the user running Signal` };
  }
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
 * Replaces `${NAME}` with environment variables and `${file:/path}` with the
 * file's content (the Docker/Kubernetes secrets convention; a relative path
 * is relative to `dir`, the config file's directory), both tokenised by
 * parseYaml; write `$${` for a literal `${`. Works on parsed values, not raw
 * text, so a secret with YAML-special characters cannot change the
 * document's structure. A missing variable or unreadable file is reported by
 * name and place, never by value.
 */
export function substituteEnv(
  value: unknown,
  env: Record<string, string | undefined>,
  lineOf: (path: readonly PropertyKey[]) => number | undefined,
  options: { dir?: string } = {},
): { value: unknown; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const walk = (v: unknown, path: PropertyKey[]): unknown => {
    if (typeof v === 'string') {
      const problem = (message: string) => {
        issues.push({ path: formatPath(path), line: lineOf(path), message });
        return '';
      };
      return v.replace(tokenPattern, (_whole, literal: string | undefined, kind: string, name: string) => {
        if (kind === 'FILE') {
          const given = Buffer.from(name, 'hex').toString('utf8');
          if (literal !== undefined) return `\${file:${given}}`;
          if (given.trim() === '') return problem('${file:} needs a path, e.g. ${file:/run/secrets/leanplum_client_key}');
          const read = readSecretFile(resolve(options.dir ?? process.cwd(), given.trim()));
          return 'value' in read ? read.value : problem(read.problem);
        }
        if (literal !== undefined) return `\${${name}}`;
        const found = env[name];
        if (found === undefined || found === '') {
          return problem(`environment variable ${name} is not set. Fix: export ${name}=... before starting Signal (or put the value in the file)`);
        }
        return found;
      });
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]));
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, [...path, k])]));
    }
    return v;
  };
  return { value: walk(value, []), issues };
}
