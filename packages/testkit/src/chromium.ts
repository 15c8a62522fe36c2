/**
 * Debian's Chromium, driven by playwright-core, for the dashboard's browser tests and benchmark
 * (`npx playwright install` cannot download here; `.ci/run` installs the `chromium` package instead).
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. */
export function chromiumMissing(path: string = CHROMIUM_PATH): string | undefined {
  return existsSync(path)
    ? undefined
    : `${path} not found: install Debian's chromium package (apt-get install chromium) to run the browser tests`;
}

/**
 * Headless Chromium with nothing that phones home. playwright-core is loaded here, when a test asks for a
 * browser, so that the other tests importing the testkit do not pay for it.
 */
export async function launchChromium(path: string = CHROMIUM_PATH): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: path,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}
