import { describe, expect, it } from 'vitest';
import { lookup, parseTemplate, renderText, renderValue, type Template } from '../src/template.js';

function compile(source: string): Template {
  const parsed = parseTemplate(source);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.template;
}

const scope = {
  user_id: 'u1',
  event: 'Order Completed',
  properties: { order_id: 'o-7', revenue: 10, 'Order ID': 'x y', items: [{ sku: 'A' }, { sku: 'B' }], nothing: null, nested: { a: 1 } },
  traits: { email: 'mary@example.com' },
  mapped: { name: 'purchase', properties: { order_id: 'o-7' } },
};

describe('template syntax', () => {
  it('renders dotted paths, with or without spaces inside the braces', () => {
    expect(renderText(compile('{{ user_id }}/{{event}}/{{ properties.order_id }}/{{ traits.email }}/{{ mapped.name }}'), scope)).toBe(
      'u1/Order Completed/o-7/mary@example.com/purchase',
    );
  });

  it('reads array items and bracketed keys', () => {
    expect(renderText(compile("{{ properties.items.1.sku }} {{ properties.items[0].sku }} {{ properties['Order ID'] }}"), scope)).toBe('B A x y');
  });

  it('renders unknown paths, null and paths through non-objects as empty', () => {
    expect(renderText(compile('[{{ properties.missing }}|{{ nope.deeper.still }}|{{ properties.nothing }}|{{ user_id.length }}]'), scope)).toBe('[|||]');
  });

  it('renders numbers as text and objects as compact JSON inside text', () => {
    expect(renderText(compile('r={{ properties.revenue }} n={{ properties.nested }}'), scope)).toBe('r=10 n={"a":1}');
  });

  it('keeps the JSON type when a data value is exactly one expression', () => {
    expect(renderValue(compile('{{ properties.revenue }}'), scope)).toBe(10);
    expect(renderValue(compile('{{ properties.items }}'), scope)).toEqual([{ sku: 'A' }, { sku: 'B' }]);
    expect(renderValue(compile('{{ properties.nothing }}'), scope)).toBeNull();
    expect(renderValue(compile('{{ properties.missing }}'), scope)).toBe('');
    expect(renderValue(compile('total {{ properties.revenue }}'), scope)).toBe('total 10');
  });

  it('applies the encoder to substituted values only, never to literal text', () => {
    expect(renderText(compile('a b/{{ properties.order_id }}?q={{ properties["Order ID"] }}'), scope, encodeURIComponent)).toBe('a b/o-7?q=x%20y');
  });

  it('treats a lone "}}" as literal text', () => {
    expect(renderText(compile('{"a":{"b":"{{ user_id }}"}}'), scope)).toBe('{"a":{"b":"u1"}}');
  });

  it('text without expressions renders as itself', () => {
    expect(renderText(compile('https://example.com/x'), scope)).toBe('https://example.com/x');
  });
});

describe('template safety', () => {
  it.each(['{{ __proto__ }}', '{{ properties.__proto__.x }}', '{{ constructor }}', '{{ properties.constructor.name }}', "{{ properties['__proto__'] }}", '{{ traits.prototype }}'])(
    '%s is a path like any other: it reads own values only, never a prototype',
    (source) => {
      expect(renderText(compile(source), scope)).toBe('');
    },
  );

  it('a key named like an Object.prototype member renders its own value', () => {
    const own = JSON.parse('{"properties":{"__proto__":{"x":"p"},"constructor":{"name":"c"}},"traits":{"prototype":"t"}}');
    expect(renderText(compile('{{ properties.__proto__.x }}|{{ properties.constructor.name }}|{{ traits.prototype }}'), own)).toBe('p|c|t');
    expect(renderValue(compile("{{ properties['__proto__'] }}"), own)).toEqual({ x: 'p' });
  });

  it.each([
    ['{{ user_id', /unclosed/],
    ['{{ }}', /empty expression/],
    ['{{ user_id() }}', /not a path/],
    ['{{ a + b }}', /not a path/],
    ['{{ a..b }}', /not a path/],
    ['{{ process.exit(1) }}', /not a path/],
    ['{{ a[b] }}', /malformed/],
    ['{{ user_id | upper }}', /not a path/],
    ['{{ {{ x }} }}', /unclosed/],
  ])('refuses malformed %s', (source, message) => {
    const parsed = parseTemplate(source);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toMatch(message);
  });

  it('follows only own properties: inherited members render empty (an array\'s own length is readable)', () => {
    expect(renderText(compile('[{{ properties.toString }}|{{ properties.hasOwnProperty }}|{{ properties.items.length }}|{{ user_id.length }}|{{ properties.items.map }}]'), scope)).toBe('[||2||]');
  });

  it('does not walk into class instances (only plain objects and arrays)', () => {
    expect(lookup({ d: new Date(0) }, ['d', 'getTime'])).toBeUndefined();
    expect(lookup({ m: new Map([['k', 1]]) }, ['m', 'size'])).toBeUndefined();
  });
});
