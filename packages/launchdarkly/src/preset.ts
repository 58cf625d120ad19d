import type { Preset } from '@signal/core';

/**
 * The Default preset: the doc's mapping table. `fields.metricValue` reads the
 * number a numeric metric averages or sums; rows without it send no metricValue
 * (conversion metrics only count the event).
 */
export const defaultPreset: Preset = {
  description: 'Signal events → LaunchDarkly custom metric event keys (page_view, sign_up, funnel events, order_completed)',
  events: {
    page: 'page_view',
    'Signed Up': 'sign_up',
    'Product Viewed': { to: 'product_viewed', fields: { metricValue: 'properties.value' } },
    'Product Added': { to: 'add_to_cart', fields: { metricValue: 'properties.value' } },
    'Checkout Started': { to: 'begin_checkout', fields: { metricValue: 'properties.value' } },
    'Order Completed': { to: 'order_completed', fields: { metricValue: 'properties.revenue' } },
  },
};
