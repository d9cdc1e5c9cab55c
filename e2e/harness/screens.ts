import path from 'node:path';
import type { Page } from '@playwright/test';
import { repoRoot } from './swarmd.js';

export const screenshotDir = path.join(repoRoot, 'docs/screenshots');

/** Saves docs/screenshots/<name>.png (viewport-sized unless fullPage). */
export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: opts.fullPage ?? false, animations: 'disabled' });
}
