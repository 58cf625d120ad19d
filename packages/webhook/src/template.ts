/**
 * The small, safe template engine for webhook URLs and data values.
 *
 * Syntax: literal text with `{{ path }}` expressions. A path is dotted names
 * (`properties.order_id`, `context.page.url`, `products.0.sku`) or bracketed
 * quoted keys for names with spaces (`properties['Order ID']`). There are no
 * filters, calls or operators: a template can only read values, so config can
 * never run code. Lookups only follow own properties of plain objects and
 * arrays, so every name is just a name: `{{ properties.constructor }}` is the
 * event's own `constructor` property or empty, never Object.prototype's, and
 * `__proto__` reads an own `__proto__` key. A path that is absent renders as
 * the empty string. A `}}` outside an expression is
 * literal text (so JSON in a URL, `{"a":{"b":1}}`, needs no escaping).
 */

export type TemplatePart = { kind: 'text'; text: string } | { kind: 'path'; path: readonly string[]; source: string };

export interface Template {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
}

export type ParseTemplateResult = { ok: true; template: Template } | { ok: false; message: string };

const nameSegment = /^[A-Za-z0-9_$-]+/;
const bracketSegment = /^\[\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(\d+))\s*\]/;

/** Parses `properties.order_id` or `properties['Order ID']` into segments. */
export function parsePath(expression: string): { ok: true; path: string[] } | { ok: false; message: string } {
  const segments: string[] = [];
  let rest = expression;
  let first = true;
  while (rest.length > 0) {
    let segment: string;
    if (rest.startsWith('[') && !first) {
      const m = bracketSegment.exec(rest);
      if (m === null) return { ok: false, message: `"${expression}" has a malformed [...] key (use properties['Order ID'] or items[0])` };
      segment = (m[1] ?? m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
      rest = rest.slice(m[0].length);
    } else {
      if (!first) {
        if (!rest.startsWith('.')) return { ok: false, message: `"${expression}" is not a path (use dotted names like properties.order_id)` };
        rest = rest.slice(1);
      }
      const m = nameSegment.exec(rest);
      if (m === null) return { ok: false, message: `"${expression}" is not a path (use dotted names like properties.order_id)` };
      segment = m[0];
      rest = rest.slice(segment.length);
    }
    segments.push(segment);
    first = false;
  }
  if (segments.length === 0) return { ok: false, message: 'empty expression {{ }}' };
  return { ok: true, path: segments };
}

export function parseTemplate(source: string): ParseTemplateResult {
  const parts: TemplatePart[] = [];
  let pos = 0;
  while (pos < source.length) {
    const open = source.indexOf('{{', pos);
    if (open === -1) {
      parts.push({ kind: 'text', text: source.slice(pos) });
      break;
    }
    if (open > pos) parts.push({ kind: 'text', text: source.slice(pos, open) });
    const close = source.indexOf('}}', open + 2);
    if (close === -1) return { ok: false, message: `unclosed "{{" at position ${open} (close it with "}}")` };
    const expression = source.slice(open + 2, close).trim();
    if (expression === '') return { ok: false, message: `empty expression "{{ }}" at position ${open}` };
    if (expression.includes('{{')) return { ok: false, message: `unclosed "{{" at position ${open} (close it with "}}")` };
    const parsed = parsePath(expression);
    if (!parsed.ok) return { ok: false, message: `${parsed.message} at position ${open}` };
    parts.push({ kind: 'path', path: parsed.path, source: expression });
    pos = close + 2;
  }
  return { ok: true, template: { source, parts } };
}

/** Reads a path through own properties of plain objects and arrays only. */
export function lookup(scope: unknown, path: readonly string[]): unknown {
  let current: unknown = scope;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    const proto: unknown = Object.getPrototypeOf(current);
    if (!Array.isArray(current) && proto !== Object.prototype && proto !== null) return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** How a value reads inside text: strings as is, absent as empty, objects as compact JSON. */
export function stringifyValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? '';
}

/** Renders to text; `encode` is applied to substituted values only (e.g. encodeURIComponent in URLs). */
export function renderText(template: Template, scope: unknown, encode: (value: string) => string = (v) => v): string {
  let out = '';
  for (const part of template.parts) {
    out += part.kind === 'text' ? part.text : encode(stringifyValue(lookup(scope, part.path)));
  }
  return out;
}

/**
 * Renders a data value: a template that is exactly one expression keeps the
 * value's JSON type (`{{ properties.revenue }}` → 10, not "10"; null stays
 * null); anything else is text. Absent values render as "".
 */
export function renderValue(template: Template, scope: unknown): unknown {
  const [only, ...more] = template.parts;
  if (only?.kind === 'path' && more.length === 0) {
    const value = lookup(scope, only.path);
    return value === undefined ? '' : value;
  }
  return renderText(template, scope);
}

export function hasExpressions(template: Template): boolean {
  return template.parts.some((p) => p.kind === 'path');
}
