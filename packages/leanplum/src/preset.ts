import type { Preset } from '@signal/core';

/** The Retail preset: the Leanplum doc's event table. Events not listed are dropped by core. */
export const retailPreset: Preset = {
  description: 'Retail: Segment e-commerce events to Leanplum events; Purchase carries value and currencyCode; identify sets user attributes',
  // Segment's e-commerce spec puts line items in `products` (an array); Leanplum params
  // must be flat, so the preset leaves them out rather than rejecting every order.
  properties: { omit: ['products'] },
  events: {
    page: 'page',
    'Products Searched': 'Search',
    'Product Viewed': 'Product Viewed',
    'Product Added': 'Add to Cart',
    'Checkout Started': 'Checkout Started',
    'Order Completed': { to: 'Purchase', fields: { value: 'properties.revenue', currencyCode: 'properties.currency' } },
    'Signed Up': 'Sign Up',
    'Logged In': 'Login',
    // Personal attributes belong in Leanplum user attributes, not on track calls.
    identify: { to: 'setUserAttributes' },
  },
};

export const presets: Record<string, Preset> = { retail: retailPreset };
