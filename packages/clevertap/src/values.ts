import { PayloadValidationError } from '@signal/core';

/**
 * CleverTap's value rules (Upload Events / Upload User Profiles APIs): event
 * property values are scalars, except Charged `Items`; profile values are
 * scalars or arrays of strings (multi-value properties); reserved profile
 * fields have fixed formats. Anything else is reshaped here by one rule, or the
 * record is rejected naming the field and the fix.
 */

const isScalar = (v: unknown): boolean => v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** Objects and arrays become their compact JSON text: one property, nothing lost. */
export function scalarOf(value: unknown): unknown {
  return isScalar(value) || value === undefined ? value : JSON.stringify(value);
}

/** Profile values: arrays of strings stay arrays (CleverTap multi-value properties); other non-scalars are JSON text. */
export function profileValueOf(value: unknown): unknown {
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  return scalarOf(value);
}

const E164 = /^\+[1-9][0-9]{1,14}$/;

/** CleverTap wants E.164 (`+` country code, digits). Spaces, dashes, dots and brackets are formatting and are removed. */
export function phoneOf(value: unknown): string {
  const raw = typeof value === 'number' ? String(value) : value;
  if (typeof raw === 'string') {
    const compact = raw.trim().replace(/[\s\-.()]/g, '');
    if (E164.test(compact)) return compact;
  }
  throw new PayloadValidationError(
    'profile "Phone" is not an E.164 number (a + country code and up to 15 digits, e.g. +14155551234); fix the trait, or map it elsewhere (rename: { phone: phone_raw })',
    'invalid_phone',
  );
}

const genders = new Map<string, 'M' | 'F'>([
  ['m', 'M'],
  ['male', 'M'],
  ['man', 'M'],
  ['f', 'F'],
  ['female', 'F'],
  ['woman', 'F'],
]);

/** CleverTap's Gender is `M` or `F`. */
export function genderOf(value: unknown): 'M' | 'F' {
  const gender = typeof value === 'string' ? genders.get(value.trim().toLowerCase()) : undefined;
  if (gender === undefined) {
    throw new PayloadValidationError(
      'profile "Gender" must be M or F (male/female/m/f/man/woman are converted); CleverTap has no other value, so map other values to a custom property (rename: { gender: gender_identity })',
      'invalid_gender',
    );
  }
  return gender;
}

/** CleverTap stores dates as `$D_<epoch seconds>`; a date string is converted, a `$D_` value kept. */
export function dateOf(field: string, value: unknown): string {
  if (typeof value === 'string' && /^\$D_-?[0-9]+$/.test(value)) return value;
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new PayloadValidationError(`profile "${field}" must be a date (e.g. 1990-05-01 or an ISO 8601 date-time); CleverTap stores it as $D_<seconds>`, 'invalid_date');
  }
  return `$D_${Math.floor(ms / 1000)}`;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * Identify traits (already renamed by the preset) → CleverTap profileData:
 * `Name` (or built from firstName/lastName), `Email`, `Phone` (E.164), `Gender`
 * (M/F), `DOB` ($D_) normalised; other values scalars or arrays of strings.
 */
export function profileDataOf(data: Map<string, unknown>): Record<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, value] of data) {
    if (value === undefined) continue;
    switch (key) {
      case 'Phone':
        out.set(key, value === null ? null : phoneOf(value));
        break;
      case 'Gender':
        out.set(key, value === null ? null : genderOf(value));
        break;
      case 'DOB':
        out.set(key, value === null ? null : dateOf(key, value));
        break;
      case 'Name':
      case 'Email':
        out.set(key, typeof value === 'string' ? value.trim() : scalarOf(value));
        break;
      default:
        out.set(key, profileValueOf(value));
    }
  }
  if (!out.has('Name')) {
    const first = text(data.get('firstName')) ?? text(data.get('first_name'));
    const last = text(data.get('lastName')) ?? text(data.get('last_name'));
    const name = [first, last].filter((p) => p !== undefined).join(' ');
    if (name !== '') out.set('Name', name);
  }
  return Object.fromEntries(out);
}
