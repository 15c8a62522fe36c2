/**
 * NASA's C-MAPSS turbofan run-to-failure data (Saxena et al., 2008), as a CSV that `pnpm train` reads:
 * public data this project was not built on, to check the regressor against scikit-learn's.
 *
 *   npx tsx services/trainer/scripts/prepare-cmapss.ts [train_FD001.txt] [--out data/cmapss-fd001.csv]
 *   pnpm train --task regression --data data/cmapss-fd001.csv --label rul --label-max 125 \
 *     --target-unit cycles --features "$(npx tsx services/trainer/scripts/prepare-cmapss.ts --features)"
 *
 * The input defaults to $CMAPSS_FD001. train_FDxxx.txt has one line per engine and cycle, 26 numbers
 * separated by spaces: unit, cycle, three operational settings and 21 sensors. Every engine runs until
 * it fails, so its remaining useful life at a cycle is its last cycle minus that cycle. The CSV has a
 * header: pump_id (the engine, so the trainer's group split keeps each engine on one side), cycle,
 * setting_1..3, s_1..s_21 and rul (in cycles). The data is NASA's and is not part of this repository.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export const CMAPSS_SETTINGS = ['setting_1', 'setting_2', 'setting_3'] as const;
export const CMAPSS_SENSORS = Array.from({ length: 21 }, (_, k) => `s_${k + 1}`);
/** the feature columns: every setting and sensor (the cycle count is left out, as in the literature) */
export const CMAPSS_FEATURES: readonly string[] = [...CMAPSS_SETTINGS, ...CMAPSS_SENSORS];
/** the clip of the piecewise-linear RUL most C-MAPSS papers use: an engine has "at least 125 cycles" left */
export const CMAPSS_LABEL_MAX = 125;

const COLUMNS = 2 + CMAPSS_FEATURES.length;

/** train_FDxxx.txt → CSV text with a header; throws on a line that is not 26 numbers. */
export function cmapssToCsv(text: string): string {
  const rows = text
    .split('\n')
    .map((line, i) => ({
      line: i + 1,
      values: line
        .trim()
        .split(/\s+/)
        .filter((v) => v !== ''),
    }))
    .filter((r) => r.values.length > 0);
  const lastCycle = new Map<string, number>();
  for (const { line, values } of rows) {
    if (values.length !== COLUMNS || values.some((v) => !Number.isFinite(Number(v)))) {
      throw new Error(`line ${line}: expected ${COLUMNS} numbers, got "${values.join(' ').slice(0, 60)}"`);
    }
    const [unit, cycle] = values as [string, string];
    lastCycle.set(unit, Math.max(lastCycle.get(unit) ?? 0, Number(cycle)));
  }
  const out = [['pump_id', 'cycle', ...CMAPSS_FEATURES, 'rul'].join(',')];
  for (const { values } of rows) {
    const [unit, cycle, ...readings] = values as [string, string, ...string[]];
    const rul = lastCycle.get(unit)! - Number(cycle);
    out.push([`engine-${unit.padStart(3, '0')}`, cycle, ...readings, String(rul)].join(','));
  }
  return `${out.join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      out: { type: 'string', default: 'data/cmapss-fd001.csv' },
      features: { type: 'boolean', default: false },
    },
  });
  if (values.features) {
    console.log(CMAPSS_FEATURES.join(','));
  } else {
    const input = positionals[0] ?? process.env.CMAPSS_FD001;
    if (!input) {
      console.error('prepare-cmapss: give train_FD001.txt as an argument or in CMAPSS_FD001');
      process.exit(2);
    }
    const csv = cmapssToCsv(readFileSync(input, 'utf8'));
    writeFileSync(values.out!, csv);
    console.log(`${values.out}: ${csv.split('\n').length - 2} rows from ${input}`);
  }
}
