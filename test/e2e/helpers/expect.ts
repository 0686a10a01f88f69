// Polling assertions over playwright-core locators (playwright-core ships no `expect`).
import type { Locator, Page } from 'playwright-core';

const DEFAULT_TIMEOUT_MS = 10_000;

/** Retries `probe` until it returns something other than undefined/false, or fails naming `what`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function textOf(locator: Locator): Promise<string> {
  return (await locator.allInnerTexts().catch(() => [])).join(' | ').replace(/\s+/g, ' ');
}

export async function expectText(locator: Locator, text: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
  try {
    await locator.filter({ hasText: text }).first().waitFor({ state: 'visible', timeout: timeoutMs });
  } catch {
    throw new Error(`expected ${locator} to contain "${text}"; it shows: "${await textOf(locator)}"`);
  }
}

export async function expectCount(locator: Locator, count: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
  await eventually(`${count} × ${locator}`, async () => (await locator.count()) === count, timeoutMs);
}

export async function expectAttribute(locator: Locator, name: string, value: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
  await eventually(`${locator} [${name}=${value}]`, async () => (await locator.getAttribute(name)) === value, timeoutMs);
}

export async function expectHidden(locator: Locator, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
  await locator.waitFor({ state: 'hidden', timeout: timeoutMs });
}

export async function expectUrl(page: Page, pattern: RegExp, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
  await eventually(`URL matching ${pattern} (now ${page.url()})`, async () => pattern.test(page.url()), timeoutMs);
}
