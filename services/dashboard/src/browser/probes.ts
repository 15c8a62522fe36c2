/** What the page shows, read back in the browser: canvas pixels of tiles and charts, the fleet's last update. */
import type { Page } from 'playwright-core';

/** Resolves once the fleet view has applied a fleet snapshot or delta generated after `after` (epoch ms). */
export async function waitForFleetUpdate(page: Page, after: number): Promise<number> {
  const handle = await page.waitForFunction(
    (t) => {
      const at = Number((document.querySelector('.view.fleet') as HTMLElement | null)?.dataset.generatedAt);
      return at > t ? at : false;
    },
    after,
    { timeout: 15_000 },
  );
  return (await handle.jsonValue()) as number;
}

/**
 * The colour (#rrggbb) of the first `count` tiles of the fleet canvas, read a few pixels inside each tile's
 * corner (the pump id is written at the bottom). The page's worker draws on that canvas, which the page
 * itself can no longer read: the pixels come from a screenshot of it, decoded by the browser.
 */
export async function tileColours(page: Page, count: number): Promise<string[]> {
  const png = await page.locator('canvas.tiles').screenshot();
  return page.evaluate(
    async ({ b64, n }) => {
      const image = new Image();
      image.src = `data:image/png;base64,${b64}`;
      await image.decode();
      const scratch = document.createElement('canvas');
      scratch.width = image.naturalWidth;
      scratch.height = image.naturalHeight;
      const ctx = scratch.getContext('2d') as CanvasRenderingContext2D;
      ctx.drawImage(image, 0, 0);
      const tiles = document.querySelector('canvas.tiles') as HTMLCanvasElement;
      const size = Number(tiles.dataset.tileSize);
      const cols = Number(tiles.dataset.cols);
      const ratio = image.naturalWidth / tiles.clientWidth;
      const hex = (v: number) => v.toString(16).padStart(2, '0');
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        const x = Math.round(((i % cols) * size + 3) * ratio);
        const y = Math.round((Math.floor(i / cols) * size + 3) * ratio);
        const d = ctx.getImageData(x, y, 1, 1).data;
        out.push(`#${hex(d[0] as number)}${hex(d[1] as number)}${hex(d[2] as number)}`);
      }
      return out;
    },
    { b64: png.toString('base64'), n: count },
  );
}

/** How many pixels of a canvas have exactly each of these colours (#rrggbb). */
export function countColours(
  page: Page,
  canvasSelector: string,
  colours: readonly string[],
): Promise<number[]> {
  return page.evaluate(
    ({ selector, wanted }) => {
      const canvas = document.querySelector(selector) as HTMLCanvasElement;
      const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const keys = wanted.map((c) => Number.parseInt(c.slice(1), 16));
      const counts = wanted.map(() => 0);
      for (let i = 0; i < data.length; i += 4) {
        const key = ((data[i] as number) << 16) | ((data[i + 1] as number) << 8) | (data[i + 2] as number);
        const k = keys.indexOf(key);
        if (k !== -1 && data[i + 3] === 255) counts[k] = (counts[k] as number) + 1;
      }
      return counts;
    },
    { selector: canvasSelector, wanted: [...colours] },
  );
}

/** Pixels of a canvas within `tolerance` (per channel) of a colour: anti-aliased lines are rarely exact. */
export function countNear(
  page: Page,
  canvasSelector: string,
  colour: string,
  tolerance: number,
): Promise<number> {
  return page.evaluate(
    ({ selector, hex, tol }) => {
      const canvas = document.querySelector(selector) as HTMLCanvasElement;
      const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const n = Number.parseInt(hex.slice(1), 16);
      const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
      let count = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (
          Math.abs((data[i] as number) - r) <= tol &&
          Math.abs((data[i + 1] as number) - g) <= tol &&
          Math.abs((data[i + 2] as number) - b) <= tol
        )
          count++;
      }
      return count;
    },
    { selector: canvasSelector, hex: colour, tol: tolerance },
  );
}
