/** The chaos flags both simulators take, and the rates they stand for. */
import { booleanOption, numberOption, type OptionSpecs } from '@pdm/service-kit';
import { type ChaosRates, DEFAULT_CHAOS_RATES } from './chaos.ts';

const rate = (dflt: number, flag: string, env: string, what: string) =>
  ({
    schema: numberOption(dflt, { min: 0, max: 1 }),
    flag,
    env,
    placeholder: 'P',
    help: `chaos: chance per pump-sample that ${what} starts; 0 turns it off`,
  }) as const;

export const chaosOptions = {
  chaos: {
    schema: booleanOption(false),
    flag: 'chaos',
    env: 'CHAOS',
    boolean: true,
    negatable: true,
    help: 'inject chaos: glitches, heatwaves, sensor freezes, dropouts (and malformed payloads if their rate > 0)',
  },
  glitchRate: rate(DEFAULT_CHAOS_RATES.glitch, 'glitch-rate', 'CHAOS_GLITCH_RATE', 'a vibration_x spike'),
  heatwaveRate: rate(
    DEFAULT_CHAOS_RATES.heatwave,
    'heatwave-rate',
    'CHAOS_HEATWAVE_RATE',
    'a +15 °C heatwave',
  ),
  freezeRate: rate(DEFAULT_CHAOS_RATES.freeze, 'freeze-rate', 'CHAOS_FREEZE_RATE', 'a sensor freeze'),
  dropoutRate: rate(DEFAULT_CHAOS_RATES.dropout, 'dropout-rate', 'CHAOS_DROPOUT_RATE', 'a telemetry dropout'),
  malformedRate: rate(
    DEFAULT_CHAOS_RATES.malformed,
    'malformed-rate',
    'CHAOS_MALFORMED_RATE',
    'a malformed payload',
  ),
} as const satisfies OptionSpecs;

/** The rates a config asks for; undefined when chaos is off. */
export function chaosRates(config: {
  readonly chaos: boolean;
  readonly glitchRate: number;
  readonly heatwaveRate: number;
  readonly freezeRate: number;
  readonly dropoutRate: number;
  readonly malformedRate: number;
}): ChaosRates | undefined {
  if (!config.chaos) return undefined;
  return {
    glitch: config.glitchRate,
    heatwave: config.heatwaveRate,
    freeze: config.freezeRate,
    dropout: config.dropoutRate,
    malformed: config.malformedRate,
  };
}
