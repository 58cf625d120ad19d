import { createIntegration } from '@signal/core';
import leanplum from '@signal/leanplum';
import webhook from '@signal/webhook';
import type { DebuggerIntegration } from '../../src/debugger/index.js';

/** Two real plugins bound as a config would bind them: leanplum (retail, one override) and a webhook that needs consent. */
export function fixtureIntegrations(): DebuggerIntegration[] {
  const overrides = { events: { 'Product Added': 'AddToBasket', 'Wishlist Product Added': 'Wishlist' } };
  return [
    {
      integration: createIntegration(leanplum, { id: 'leanplum', settings: { app_id: 'app_fixture', client_key: 'prod_fixture_client_key' }, preset: 'retail', mapping: overrides }),
      plugin: '@signal/leanplum',
      preset: 'retail',
      concurrency: 1,
      overrides,
    },
    {
      integration: createIntegration(webhook, { id: 'webhook', settings: { url: 'https://hooks.example.com/x' }, consent: ['marketing'] }),
      plugin: '@signal/webhook',
      preset: 'default',
      concurrency: 4,
    },
  ];
}
