/** The terminal view: one screen, redrawn in place on a terminal, a line every few seconds otherwise. */
import { PUMP_STATES, type PumpState } from '@pdm/contract';
import type { DemoSummary } from './app.ts';
import type { FleetMonitor } from './monitor.ts';

export interface ViewState {
  readonly phase: string;
  readonly elapsedS: number;
  readonly durationS: number;
  readonly lines: readonly string[];
  readonly monitor: FleetMonitor | undefined;
  /** the dashboard's address, or what keeps it from having one */
  readonly dashboard: string;
  /** the notifier's messages so far (console receiver), oldest first */
  readonly notifications?: readonly string[] | undefined;
}

const COLOURS: Record<PumpState, string> = {
  HEALTHY: '\u001b[32m',
  WARNING: '\u001b[33m',
  FAULTY: '\u001b[31m',
  BROKEN: '\u001b[1;41;97m',
};
const RESET = '\u001b[0m';
const DIM = '\u001b[2m';

export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

const number = (n: number) => n.toLocaleString('en-US');

/** The full screen for a terminal. */
export function renderScreen(view: ViewState, colour: boolean, width = 100): string {
  const paint = (code: string, text: string) => (colour ? `${code}${text}${RESET}` : text);
  const out = [
    `${paint('\u001b[1m', 'pump-pdm demo')}  ·  ${view.phase}  ·  ${clock(view.elapsedS)} / ${clock(view.durationS)}   ${paint(DIM, 'Ctrl-C stops')}`,
    `dashboard  ${paint('\u001b[1;4m', view.dashboard)}`,
    '',
    ...view.lines,
  ];
  const m = view.monitor;
  if (m) {
    const counts = m.counts();
    out.push(
      '',
      `telemetry ${number(m.telemetry)}   predictions ${number(m.predictions)}   alarms ${number(m.alarms)}   recoveries ${number(m.recoveries)}`,
      `live accuracy against the ground truth: ${m.scorer.scored > 0 ? m.scorer.accuracy.toFixed(3) : '—'} (${number(m.scorer.scored)} scored)`,
      `live RUL error: ${liveRul(m)}`,
      `now  ${PUMP_STATES.map((s) => paint(COLOURS[s], `${s} ${counts[s]}`)).join('   ')}`,
      '',
    );
    const perRow = Math.max(10, Math.floor(width / 2));
    const pumps = [...m.states.entries()].sort(([a], [b]) => a.localeCompare(b));
    for (let i = 0; i < pumps.length; i += perRow) {
      out.push(
        pumps
          .slice(i, i + perRow)
          .map(([, s]) => paint(COLOURS[s], s[0] as string))
          .join(' '),
      );
    }
  }
  const notes = view.notifications ?? [];
  if (notes.length > 0) {
    out.push(
      '',
      `${paint('\u001b[1m', 'notifications')} ${number(notes.length)} (notifier, console receiver); the latest:`,
    );
    // Its first lines: the headline and the first pumps.
    out.push(
      ...(notes.at(-1) ?? '')
        .split('\n')
        .slice(0, 4)
        .map((l) => `  ${l}`),
    );
  }
  return out.join('\n');
}

/** `MAE 0.0041 h, RMSE 0.0063 h (12,345 scored)`, or a dash before the first RUL is scored. */
function liveRul(m: FleetMonitor): string {
  const { rulScored, rulMae, rulRmse } = m.scorer;
  return rulScored > 0
    ? `MAE ${rulMae.toFixed(4)} h, RMSE ${rulRmse.toFixed(4)} h (${number(rulScored)} scored)`
    : '—';
}

/** One line for logs and pipes. */
export function renderLine(view: ViewState): string {
  const m = view.monitor;
  const live = m
    ? ` | predictions ${m.predictions}, accuracy ${m.scorer.scored > 0 ? m.scorer.accuracy.toFixed(3) : '—'}, RUL MAE ${m.scorer.rulScored > 0 ? `${m.scorer.rulMae.toFixed(4)} h` : '—'}, alarms ${m.alarms}, now ${PUMP_STATES.map((s) => `${s} ${m.counts()[s]}`).join(' ')}`
    : '';
  const notes = view.notifications === undefined ? '' : `, notifications ${view.notifications.length}`;
  return `[${clock(view.elapsedS)}] ${view.phase}${live}${notes}`;
}

/** The closing report: what the run did and where it left things. */
export function renderSummary(s: DemoSummary): string {
  return [
    '',
    s.completed ? 'Demo complete.' : 'Demo stopped early.',
    `  training samples stored   ${number(s.trainingSamples)}`,
    `  balanced training rows    ${number(s.exportedRows)}`,
    `  model held-out macro-F1   ${s.modelMacroF1 === undefined ? '—' : s.modelMacroF1.toFixed(3)}`,
    `  RUL model held-out RMSE   ${s.rulModelRmse === undefined ? '—' : `${s.rulModelRmse.toFixed(4)} h`}`,
    `  live predictions          ${number(s.predictions)}`,
    `  live accuracy             ${s.liveAccuracy === undefined ? '—' : s.liveAccuracy.toFixed(3)} (smoothed state against the ground truth)`,
    `  live RUL error            ${s.liveRul === undefined ? '—' : `MAE ${s.liveRul.mae.toFixed(4)} h, RMSE ${s.liveRul.rmse.toFixed(4)} h (smoothed rul_h against the ground truth, ${number(s.liveRul.scored)} scored)`}`,
    `  alarms raised             ${number(s.alarms)}`,
    `  notifications             ${number(s.notifications)} (grouped; the notifier's console receiver, in logs/notifier.log)`,
    '',
    `  store        ${s.paths.store}`,
    `  model        ${s.paths.model}`,
    `  RUL model    ${s.paths.rulModel}`,
    `  predictions  ${s.paths.predictions}/   (pnpm tail-predictions --dir ${s.paths.predictions})`,
    `  service logs ${s.paths.logs}/`,
    `  dashboard    ${s.dashboardUrl === undefined ? '' : `was on ${s.dashboardUrl}; `}to look back at this run: ${s.lookBack}`,
    '',
  ].join('\n');
}
