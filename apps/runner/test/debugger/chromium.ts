import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env['SIGNAL_CHROMIUM'] ?? '/usr/bin/chromium';
const inCi = process.env['CI'] !== undefined && !['', '0', 'false'].includes(process.env['CI'].toLowerCase());

/**
 * Why browser tests are skipped, or undefined to run them. In CI a missing
 * Chromium is not a reason: the tests run and fail at launch.
 */
export const browserSkipReason: string | undefined =
  existsSync(CHROMIUM_PATH) || inCi ? undefined : `Chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium); skipping browser tests outside CI`;

if (browserSkipReason !== undefined) console.warn(browserSkipReason);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}
