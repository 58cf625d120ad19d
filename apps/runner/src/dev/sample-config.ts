import type { FakeVendor } from './fake-vendors.js';

/** The dev write key printed by `signal dev`; only ever valid against the sandbox. */
export const devWriteKey = 'dev-write-key-web';

/** The sandbox's admin token for /debugger and /api (loopback only; set your own in production). */
export const devAdminToken = 'dev-admin-token';

/**
 * The sandbox's retry policy: a dead letter within ~10 s of the first failed attempt, so a
 * demo of a failing vendor (set from the debugger) reaches the dead-letter queue and its
 * replay. Production keeps the defaults (10 attempts and 3 hours).
 */
const demoRetry = '{ base_ms: 1000, cap_ms: 4000, max_attempts: 4, min_window_ms: 0 }';

/**
 * The sandbox's config, shown to the user as a starting point: the same YAML
 * `signal start` reads, with vendor hosts pointed at the loopback fakes.
 */
export function sampleConfig(options: { port: number; dataDir: string; vendors: FakeVendor[] }): string {
  const url = (name: FakeVendor['name']) => options.vendors.find((v) => v.name === name)!.url;
  return `# Signal sandbox config (signal dev). Copy it to signal.config.yaml and put real settings in.
server: { port: ${options.port}, host: 127.0.0.1, admin_token: ${devAdminToken} }
storage: { driver: sqlite, path: ${JSON.stringify(`${options.dataDir}/signal.db`)} }
http:
  host_overrides:
    api.leanplum.com: ${url('leanplum')}
    us1.api.clevertap.com: ${url('clevertap')}
    events.launchdarkly.com: ${url('launchdarkly')}
    hooks.example.com: ${url('webhook')}
sources:
  - { id: web, write_key: ${devWriteKey} }
# retry: short on purpose, so a failing fake vendor dead-letters in seconds (drop it in production:
# the default gives up only after 10 attempts AND 3 hours).
integrations:
  - id: leanplum
    plugin: "@signal/leanplum"
    preset: retail
    settings: { app_id: app_sandbox, client_key: prod_sandbox_client_key }
    retry: ${demoRetry}
  - id: clevertap
    plugin: "@signal/clevertap"
    preset: default
    settings: { account_id: SANDBOX-000-0000, passcode: sandbox-passcode, region: us1 }
    retry: ${demoRetry}
  - id: launchdarkly
    plugin: "@signal/launchdarkly"
    preset: default
    settings: { access_token: api-sandbox-token, project_key: default, environment_key: production }
    retry: ${demoRetry}
  - id: webhook
    plugin: "@signal/webhook"
    preset: default
    settings: { url: https://hooks.example.com/signal }
    retry: ${demoRetry}
pipelines:
  - { id: main, sources: [web], integrations: [leanplum, clevertap, launchdarkly, webhook] }
`;
}
