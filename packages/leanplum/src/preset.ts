import type { Preset } from '@signal/core';

/** What a page call keeps as params: its name and the page it was on (a property of the same name wins). */
export const pageParams = {
  name: 'name',
  path: 'context.page.path',
  url: 'context.page.url',
  title: 'context.page.title',
  referrer: 'context.page.referrer',
} as const;

/**
 * Segment's e-commerce spec puts line items in `products`. Leanplum counts every
 * distinct parameter name against the app's cap, so the preset leaves them out of
 * the events that carry them; a rule without this omit sends them as one
 * JSON-encoded `products` param (one name, whatever the number of items).
 */
const withoutProducts = ['products'];

/** The Retail preset: the Leanplum doc's event table. Events not listed are dropped by core. */
export const retailPreset: Preset = {
  description: 'Retail: Segment e-commerce events to Leanplum events; Purchase carries value and currencyCode; identify sets user attributes',
  events: {
    page: { to: 'page', include: { ...pageParams } },
    'Products Searched': 'Search',
    'Product Viewed': 'Product Viewed',
    'Product Added': 'Add to Cart',
    'Checkout Started': { to: 'Checkout Started', omit: [...withoutProducts] },
    'Order Completed': { to: 'Purchase', fields: { value: 'properties.revenue', currencyCode: 'properties.currency' }, omit: [...withoutProducts] },
    'Signed Up': 'Sign Up',
    'Logged In': 'Login',
    // Personal attributes belong in Leanplum user attributes, not on track calls.
    identify: { to: 'setUserAttributes' },
  },
};

export const presets: Record<string, Preset> = { retail: retailPreset };
