/**
 * The page in a real Chromium (Debian's, driven by playwright-core) on the whole pipeline: Mosquitto,
 * acquisition, inference, the dashboard and a STRESS fleet, all real processes. One stack serves every check.
 * UPDATE_SCREENSHOTS=1 writes the views' screenshots to docs/screenshots for the README.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Alert, type Prediction, type PumpState, topics } from '@pdm/contract';
import { ISO_ZONES, PUMP_STATES } from '@pdm/contract/states';
import { rulLow } from '@pdm/store/testing';
import { chromiumMissing, launchChromium, REPO_ROOT } from '@pdm/testkit';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ISO_ZONE_FILLS, RUL_COLOUR, SERIES_COLOURS, TILE_COLOURS } from '../../web/colours.ts';
import type { AlertsResponse, PredictionsResponse } from '../api/contract.ts';
import { countColours, countNear, tileColours, waitForFleetUpdate } from './probes.ts';
import { type Stack, startDashboard, startStack, stopService, waitUntil } from './stack.ts';

/** enough pumps for a fleet screenshot with some in trouble by the end of the run */
const PUMPS = 96;
const XSS_ID = '<img src=x onerror=alert(1)>';
const VIBRATION_CANVAS = 'figure.chart .uplot canvas';

const missing = chromiumMissing();
if (missing) console.warn(`dashboard browser tests skipped: ${missing}`);

const screenshotDir =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? join(REPO_ROOT, 'docs/screenshots')
    : mkdtempSync(join(tmpdir(), 'pdm-screenshots-'));

function prediction(pumpId: string, seq: number, state: PumpState): Prediction {
  const risk = state === 'FAULTY' || state === 'BROKEN' ? 0.8 : 0.05;
  return {
    pump_id: pumpId,
    ts: Date.now(),
    seq,
    state,
    raw_state: state,
    probabilities: { HEALTHY: 1 - risk, WARNING: 0, FAULTY: risk, BROKEN: 0 },
    vibration_rms: 2.1,
    iso_zone: 'A',
    model_version: 'browser-test',
    latency_ms: 1,
  };
}

function alarm(pumpId: string): Alert {
  return {
    pump_id: pumpId,
    ts: Date.now(),
    seq: 1,
    kind: 'alarm',
    state: 'FAULTY',
    previous_state: 'WARNING',
    model_version: 'browser-test',
    evidence: {
      raw_states: ['WARNING', 'FAULTY', 'FAULTY', 'WARNING', 'FAULTY'],
      probabilities: { FAULTY: 0.62, WARNING: 0.35, BROKEN: 0.02, HEALTHY: 0.01 },
      vibration_rms: 5.93,
      iso_zone: 'C',
      temperature: 71.2,
    },
  };
}

/** A prediction made while a RUL model serves beside the state model. */
function withRul(p: Prediction, rulH: number): Prediction {
  return { ...p, rul_h: rulH, rul_model_version: 'browser-test-rul' };
}

describe.skipIf(missing !== undefined)('the dashboard page in Chromium, on the whole pipeline', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let publisher: MqttClient;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];

  /** The last smoothed state inference published for each pump of the fleet. */
  function lastStates(): Map<string, PumpState> {
    const last = new Map<string, PumpState>();
    for (const m of stack.recorder.messages) {
      if (!m.topic.startsWith('pdm/v1/predictions/pump-')) continue;
      const p = JSON.parse(m.payload.toString()) as Prediction;
      last.set(p.pump_id, p.state);
    }
    return last;
  }

  async function open(hash: string): Promise<void> {
    await page.goto(`${stack.url}${hash}`);
    await page.waitForSelector('#connection[data-state="live"]');
  }

  beforeAll(async () => {
    stack = await startStack({ pumps: PUMPS });
    browser = await launchChromium();
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 1,
    });
    page = await context.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // What the Content-Security-Policy refused (an inline style or script would be) is an error too.
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) pageErrors.push(message.text());
    });
    publisher = await mqtt.connectAsync(stack.broker.url, {
      clientId: 'browser-test-publisher',
      protocolVersion: 5,
    });
    // Inference predicts once a pump has a window of samples: wait until every pump has been predicted.
    await waitUntil(() => lastStates().size === PUMPS, 60_000, `predictions for all ${PUMPS} pumps`);
  }, 150_000);

  afterAll(async () => {
    await publisher?.endAsync();
    await browser?.close();
    await stack?.stop();
  });

  it('colours every tile as the last prediction that inference published for its pump says', async () => {
    await open('#/fleet?pattern=pump-*&sort=id');
    const ids = [...lastStates().keys()].sort();
    // A prediction can land between the server's delta and the reading; each pump must match after some delta.
    const unmatched = new Set(ids);
    let at = await waitForFleetUpdate(page, 0);
    for (let round = 0; round < 8 && unmatched.size > 0; round++) {
      at = await waitForFleetUpdate(page, at);
      const colours = await tileColours(page, ids.length);
      const last = lastStates();
      ids.forEach((id, i) => {
        const state = last.get(id);
        if (state && colours[i] === TILE_COLOURS[state].fill) unmatched.delete(id);
      });
    }
    expect([...unmatched]).toEqual([]);
  });

  it('repaints a tile in the colour of each state its predictions go through', async () => {
    await open('#/fleet?pattern=colour-probe');
    let seq = 0;
    for (const state of [...PUMP_STATES, 'HEALTHY' as const]) {
      seq += 1;
      await publisher.publishAsync(
        topics.predictions('colour-probe'),
        JSON.stringify(prediction('colour-probe', seq, state)),
        { qos: 1 },
      );
      await expect
        .poll(async () => (await tileColours(page, 1))[0], { timeout: 10_000 })
        .toBe(TILE_COLOURS[state].fill);
    }
    // Hovering the tile tells its pump, state and risk as text.
    await page.hover('canvas.tiles', { position: { x: 10, y: 10 } });
    const tooltip = page.locator('.tooltip');
    await tooltip.waitFor({ state: 'visible' });
    const lines = await tooltip.locator('strong, span').allTextContents();
    expect(lines.slice(0, 3)).toEqual(['colour-probe', 'healthy', 'risk 5.0 %']);
    expect(lines[3]).toMatch(/^last seen /);
  });

  it("draws a pump's vibration against the four ISO 10816 zone bands", async () => {
    // Since the fleet started, so that the stored telemetry spans the chart's width.
    await open(`#/pump/pump-00001?range=custom&from=${stack.fleetStartedAt}&to=${Date.now()}`);
    await page.waitForSelector(VIBRATION_CANVAS);
    // The overall vibration line, from the telemetry acquisition stored, is drawn over the bands.
    await expect
      .poll(() => countNear(page, VIBRATION_CANVAS, SERIES_COLOURS[0], 40), { timeout: 15_000 })
      .toBeGreaterThan(200);
    const bandPixels = await countColours(
      page,
      VIBRATION_CANVAS,
      ISO_ZONES.map((zone) => ISO_ZONE_FILLS[zone]),
    );
    for (const [i, zone] of ISO_ZONES.entries()) {
      expect(bandPixels[i], `pixels of zone ${zone}'s band`).toBeGreaterThan(1000);
    }
    // No RUL model serves this stack's inference: no RUL column, no RUL chart.
    expect(await page.locator('table.predictions th.rul-col').isVisible()).toBe(false);
    expect(await page.locator('.rul-plot').count()).toBe(0);
  });

  it('shows an alarm in the alerts view within 2 s of its message', async () => {
    await open('#/alerts');
    await page.waitForFunction(() => document.querySelector('.view.alerts .status')?.textContent === '');
    const started = performance.now();
    await publisher.publishAsync(topics.alerts('alarm-probe'), JSON.stringify(alarm('alarm-probe')), {
      qos: 1,
    });
    await page.waitForSelector('#alerts-open tr[data-pump="alarm-probe"]', { timeout: 10_000 });
    const elapsedMs = performance.now() - started;
    // A timing in a test, as an exception to the house rule: "within 2 s" is the functional
    // requirement for an alarm, not a speed target (those are in `pnpm bench`).
    expect(elapsedMs).toBeLessThan(2000);
    await page.waitForSelector('#alerts-history tr[data-pump="alarm-probe"]');

    // Filtered by pump: the history holds that pump's alerts only.
    await page.fill('#alerts-pump', 'alarm-probe');
    await page.click('.view.alerts button[type="submit"]');
    await page.waitForFunction(() => location.hash.includes('pump=alarm-probe'));
    await page.waitForFunction(() => document.querySelector('.view.alerts .status')?.textContent === '');
    const pumps = await page.$$eval('#alerts-history tbody tr', (rows) =>
      rows.map((r) => r.getAttribute('data-pump')),
    );
    expect(pumps.length).toBeGreaterThan(0);
    expect(new Set(pumps)).toEqual(new Set(['alarm-probe']));
  });

  it('shows a pump’s remaining useful life beside its state, as a line over the range, and when hovering its tile', async () => {
    const id = 'rul-probe';
    const start = Date.now() - 3000;
    for (let i = 0; i < 3; i++) {
      const p = { ...prediction(id, i + 1, 'WARNING'), ts: start + i * 1000 };
      await publisher.publishAsync(topics.predictions(id), JSON.stringify(withRul(p, 12.5 - i / 10)), {
        qos: 1,
      });
    }
    // Stored by acquisition, as the pump view reads its range from the store.
    const stored = async () => {
      const response = await fetch(`${stack.url}api/pumps/${id}/predictions`);
      return ((await response.json()) as PredictionsResponse).rows.length;
    };
    await expect.poll(stored, { timeout: 15_000 }).toBe(3);
    await open(`#/pump/${id}?range=custom&from=${start - 60_000}&to=${Date.now() + 1000}`);
    await expect.poll(() => page.locator('.current-state').textContent()).toBe('now warning RUL 12.3 h');
    await page.waitForSelector('.rul-plot canvas');
    await expect
      .poll(() => countNear(page, '.rul-plot canvas', RUL_COLOUR, 40), { timeout: 10_000 })
      .toBeGreaterThan(50);
    expect(await page.locator('table.predictions tbody tr td.rul-col').first().textContent()).toBe('12.3 h');
    expect(await page.locator('table.predictions th.rul-col').isVisible()).toBe(true);

    await open(`#/fleet?pattern=${id}`);
    await expect.poll(async () => (await tileColours(page, 1))[0]).toBe(TILE_COLOURS.WARNING.fill);
    await page.hover('canvas.tiles', { position: { x: 10, y: 10 } });
    const tooltip = page.locator('.tooltip');
    await tooltip.waitFor({ state: 'visible' });
    expect(await tooltip.locator('span').allTextContents()).toContain('remaining useful life 12 h');
  });

  it('shows a rul_low alert as open, with its RUL and what to do, and filters the history by it', async () => {
    await open('#/alerts');
    await page.waitForFunction(() => document.querySelector('.view.alerts .status')?.textContent === '');
    await publisher.publishAsync(
      topics.alerts('rul-alert-probe'),
      JSON.stringify(rulLow('rul-alert-probe', Date.now(), 12.3)),
      {
        qos: 1,
      },
    );
    const row = page.locator('#alerts-open tr[data-pump="rul-alert-probe"]');
    await row.waitFor({ timeout: 10_000 });
    expect(await row.locator('.kind').textContent()).toBe('RUL low');
    expect(await row.locator('.evidence .rul').textContent()).toBe('RUL 12.3 h — plan the repair');

    // The filtered history is read from the store: once acquisition has stored the alert.
    const stored = async () => {
      const response = await fetch(`${stack.url}api/alerts?kind=rul_low&pump=rul-alert-probe`);
      return ((await response.json()) as AlertsResponse).history.length;
    };
    await expect.poll(stored, { timeout: 15_000 }).toBe(1);
    await page.selectOption('#alerts-kind', 'rul_low');
    await page.click('.view.alerts button[type="submit"]');
    await page.waitForFunction(() => location.hash.includes('kind=rul_low'));
    await page.waitForFunction(() => document.querySelector('.view.alerts .status')?.textContent === '');
    const kinds = await page.$$eval('#alerts-history tbody tr .kind', (cells) =>
      cells.map((c) => c.textContent),
    );
    expect(kinds.length).toBeGreaterThan(0);
    expect(new Set(kinds)).toEqual(new Set(['RUL low']));
  });

  it('shows a pump id full of HTML, sent on the bus, as text', async () => {
    await publisher.publishAsync(
      `pdm/v1/predictions/${XSS_ID}`,
      JSON.stringify({ ...prediction('x', 1, 'BROKEN'), pump_id: XSS_ID }),
      { qos: 1 },
    );
    await open('#/pipeline');
    const cell = page.locator('table.invalid-on-bus td', { hasText: XSS_ID }).first();
    await cell.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await cell.textContent()).toContain(`pdm/v1/predictions/${XSS_ID}`);
    expect(await page.locator('img').count()).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it('requires a login where a password is configured', async () => {
    const password = 'correct horse battery staple';
    const guarded = await startDashboard({
      MQTT_URL: stack.broker.url,
      SQLITE_PATH: stack.sqlitePath,
      MODEL_PATH: stack.modelPath,
      METRICS_URLS: stack.metricsUrls,
      DASHBOARD_PASSWORD: password,
    });
    try {
      for (const path of ['', 'app.js', 'api/fleet', 'api/events']) {
        const response = await fetch(`${guarded.url}${path}`);
        expect({ path, status: response.status }).toEqual({ path, status: 401 });
        expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
        await response.body?.cancel();
      }
      const admin = await browser.newContext({ httpCredentials: { username: 'admin', password } });
      const adminPage = await admin.newPage();
      expect((await adminPage.goto(`${guarded.url}#/fleet`))?.status()).toBe(200);
      await adminPage.waitForSelector('#connection[data-state="live"]');
      await adminPage.waitForFunction(() => Number(document.querySelector('.count .n')?.textContent) >= 0);
      await admin.close();
    } finally {
      await stopService(guarded.service);
    }
  });

  it('takes a screenshot of each view', async () => {
    mkdirSync(screenshotDir, { recursive: true });
    const shoot = (view: string, fullPage: boolean) =>
      page.screenshot({ path: join(screenshotDir, `${view}.png`), fullPage });

    await open('#/fleet');
    await waitForFleetUpdate(page, Date.now());
    await shoot('fleet', false);

    // The pump most in trouble now, over the whole run: a custom range shows it across the chart's width.
    const severity = (s: PumpState) => PUMP_STATES.indexOf(s);
    const [worst] = [...lastStates()].sort(
      (a, b) => severity(b[1]) - severity(a[1]) || (a[0] < b[0] ? -1 : 1),
    );
    const to = Date.now();
    await open(`#/pump/${worst?.[0]}?range=custom&from=${stack.fleetStartedAt}&to=${to}`);
    await page.waitForSelector(VIBRATION_CANVAS);
    await page.waitForSelector('table.predictions tbody tr');
    await shoot('pump', true);

    await open('#/alerts');
    await page.waitForSelector('#alerts-history tbody tr');
    await shoot('alerts', true);

    await open('#/model');
    await page.waitForSelector('table.confusion');
    await shoot('model', true);

    await open('#/pipeline');
    await page.waitForSelector('table.services');
    await shoot('pipeline', true);
    console.info(`screenshots in ${screenshotDir}`);
  });

  it('raised no script error and broke no Content-Security-Policy rule on any view', () => {
    expect(pageErrors).toEqual([]);
    expect(dialogs).toEqual([]);
  });
});
