import { PayloadValidationError } from '@signal/core';

/**
 * CleverTap's per-record limits, checked before sending so one bad record is
 * rejected on its own with a clear reason instead of coming back in
 * `unprocessed[]` (or being silently truncated) after a round trip.
 */
export const MAX_EVENT_NAME_LENGTH = 120;
export const MAX_VALUE_BYTES = 512;
export const MAX_CHARGED_ITEMS = 256;
/** Event and profile property keys: CleverTap's Upload User Profiles API says 120 bytes (its SDK docs, 120 characters); the stricter reading wins. */
export const MAX_KEY_BYTES = 120;
export const FORBIDDEN_NAME_CHARACTERS = ['%', '>', '<', '!', '|', '&', '.', ':', ';', '$', "'", '"'] as const;

export function assertEventName(name: string): void {
  if (name.trim() === '') throw new PayloadValidationError('CleverTap event name is empty', 'clevertap_509');
  if (name.length > MAX_EVENT_NAME_LENGTH) {
    throw new PayloadValidationError(`CleverTap event name is ${name.length} characters; the limit is ${MAX_EVENT_NAME_LENGTH}`, 'event_name_too_long');
  }
  const found = FORBIDDEN_NAME_CHARACTERS.filter((c) => name.includes(c));
  if (found.length > 0) {
    throw new PayloadValidationError(
      `CleverTap event name "${name}" contains ${found.map((c) => `'${c}'`).join(' ')}; names may not contain ${FORBIDDEN_NAME_CHARACTERS.join(' ')}`,
      'invalid_event_name',
    );
  }
}

/** Every string value (nested ones too, e.g. inside Charged Items) must fit in 512 UTF-8 bytes. */
export function assertValueSizes(data: Record<string, unknown>, where: string): void {
  const visit = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      const bytes = Buffer.byteLength(value, 'utf8');
      // The value itself stays out of the message: it may be personal data.
      if (bytes > MAX_VALUE_BYTES) {
        throw new PayloadValidationError(`${where} "${path}" is ${bytes} bytes; CleverTap accepts at most ${MAX_VALUE_BYTES} bytes per value`, 'value_too_long');
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, `${path}.${i}`));
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) visit(v, `${path}.${k}`);
    }
  };
  for (const [key, value] of Object.entries(data)) visit(value, key);
}

export function assertChargedItems(items: unknown): void {
  if (items === undefined) return;
  if (!Array.isArray(items)) throw new PayloadValidationError('Charged "Items" must be a list of products', 'invalid_charged_items');
  if (items.length > MAX_CHARGED_ITEMS) {
    throw new PayloadValidationError(`Charged has ${items.length} Items; CleverTap accepts at most ${MAX_CHARGED_ITEMS}`, 'too_many_charged_items');
  }
}

/** Every property key (nested ones in Charged Items too) must fit in 120 UTF-8 bytes. */
export function assertKeyLengths(data: Record<string, unknown>, where: string): void {
  const visit = (value: Record<string, unknown>, prefix: string): void => {
    for (const [key, inner] of Object.entries(value)) {
      const bytes = Buffer.byteLength(key, 'utf8');
      if (bytes > MAX_KEY_BYTES) {
        const shown = key.length > 40 ? `${key.slice(0, 40)}…` : key;
        throw new PayloadValidationError(`${where} name "${prefix}${shown}" is ${bytes} bytes; CleverTap accepts at most ${MAX_KEY_BYTES} bytes per property name`, 'property_name_too_long');
      }
      // Charged Items are the one nested shape CleverTap takes: their keys count too.
      if (!Array.isArray(inner)) continue;
      inner.forEach((item, i) => {
        if (item !== null && typeof item === 'object' && !Array.isArray(item)) visit(item as Record<string, unknown>, `${prefix}${key}.${i}.`);
      });
    }
  };
  visit(data, '');
}
