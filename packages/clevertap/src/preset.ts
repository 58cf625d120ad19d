import type { Preset } from '@signal/core';

/** Signal event → CleverTap event name, as in the CleverTap doc's Default preset table. */
export const eventMap = {
  page: 'Web Page Viewed',
  'Products Searched': 'Searched',
  'Product Viewed': 'Product Viewed',
  'Product Added to Wishlist': 'Added to Wishlist',
  'Product Added': 'Added to Cart',
  'Checkout Started': 'Checkout Started',
  'Signed Up': 'Signed Up',
  'Logged In': 'Logged In',
} as const;

/** Charged is CleverTap's reserved purchase event; these names feed its revenue analytics. */
export const chargedRename = {
  order_id: 'Charged ID',
  revenue: 'Amount',
  currency: 'Currency',
  products: 'Items',
} as const;

/** Identify traits → CleverTap's reserved profile keys (other traits keep their own names). */
export const profileRename = {
  name: 'Name',
  email: 'Email',
  phone: 'Phone',
  gender: 'Gender',
  birthday: 'DOB',
  avatar: 'Photo',
  age: 'Age',
} as const;

/** What a page view keeps in evtData: its name and the page it was on (a property of the same name wins). */
export const pageInclude = {
  name: 'name',
  path: 'context.page.path',
  url: 'context.page.url',
  title: 'context.page.title',
  referrer: 'context.page.referrer',
} as const;

export const defaultPreset: Preset = {
  description: "CleverTap's Default preset: page views, commerce funnel, sign-up/login, Charged purchases and identify → profile",
  events: {
    ...eventMap,
    page: { to: eventMap.page, include: { ...pageInclude } },
    'Order Completed': { to: 'Charged', rename: { ...chargedRename } },
    identify: { to: 'profile', rename: { ...profileRename } },
  },
};
