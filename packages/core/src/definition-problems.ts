/**
 * What a value lacks to be a destination definition, one line per missing or
 * mistyped member (empty when it is complete). The runner uses it to say
 * exactly what an installed plugin is missing; the conformance kit asserts it
 * is empty. Structural, so it works across copies of @signal/core.
 */
export function definitionProblems(value: unknown): string[] {
  if (value === null || typeof value !== 'object') return [`the default export is ${value === null ? 'null' : typeof value}, not a destination object`];
  const d = value as Record<string, unknown>;
  const problems: string[] = [];
  const need = (key: string, ok: boolean, what: string) => {
    if (!ok) problems.push(`${key}: ${d[key] === undefined ? 'missing' : `wrong type (${describe(d[key])})`}, needs ${what}`);
  };
  const isFn = (v: unknown) => typeof v === 'function';
  const isText = (v: unknown) => typeof v === 'string' && v.length > 0;
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

  need('id', isText(d['id']), 'a non-empty string (e.g. "acme")');
  need('name', isText(d['name']), 'a non-empty string (e.g. "Acme")');
  need('version', isText(d['version']), "a non-empty string (read it from the package's package.json)");
  need('settings', isObject(d['settings']) && isFn(d['settings']['safeParse']), 'a zod schema (z.object({...}))');
  need('secrets', Array.isArray(d['secrets']) && d['secrets'].every((s) => typeof s === 'string'), 'an array of settings keys (may be empty)');
  need('presets', isObject(d['presets']) && Object.keys(d['presets']).length > 0, 'an object of named presets, e.g. { default: { events: {...} } }');
  need('defaultPreset', isText(d['defaultPreset']), 'the name of one of its presets');
  if (isText(d['defaultPreset']) && isObject(d['presets']) && d['presets'][d['defaultPreset'] as string] === undefined) {
    problems.push(`defaultPreset: "${String(d['defaultPreset'])}" is not one of its presets (${Object.keys(d['presets']).join(', ')})`);
  }
  need('limits', isFn(d['limits']) || (isObject(d['limits']) && isCount(d['limits']['maxBatchItems']) && isCount(d['limits']['maxConcurrency'])), 'an object with maxBatchItems and maxConcurrency (positive integers), or a function of the settings returning one');
  need(
    'capabilities',
    isObject(d['capabilities']) && typeof d['capabilities']['batching'] === 'boolean' && typeof d['capabilities']['identify'] === 'boolean',
    'an object with booleans batching and identify',
  );
  need('transform', isFn(d['transform']), 'a function (mapped event, ctx) → vendor record');
  need('buildRequest', isFn(d['buildRequest']), 'a function (batch, ctx) → HTTP request');
  need('parseResponse', isFn(d['parseResponse']), 'a function (response, batch, ctx) → one result per record');
  for (const key of ['classifyError', 'testConnection', 'secretValues']) {
    if (d[key] !== undefined) need(key, isFn(d[key]), 'a function when present');
  }
  if (d['retry'] !== undefined) need('retry', isObject(d['retry']), 'an object (a partial retry policy) when present');
  return problems;
}

function isCount(v: unknown): boolean {
  return Number.isInteger(v) && (v as number) >= 1;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}
