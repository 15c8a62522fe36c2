/** Run modes: how fast a production pump ages. Same physics as training, on a shorter or longer clock. */
export const MODES = ['NOMINAL', 'ACCELERATED', 'STRESS'] as const;
export type Mode = (typeof MODES)[number];

export interface ModeSettings {
  /** mean time to failure in seconds of wall-clock operation */
  readonly meanLifeS: number;
  /** how long a broken pump stays down (still reporting BROKEN) before its repair */
  readonly repairDowntimeS: number;
}

export const MODE_SETTINGS: Readonly<Record<Mode, ModeSettings>> = {
  NOMINAL: { meanLifeS: 27 * 3600, repairDowntimeS: 1800 },
  ACCELERATED: { meanLifeS: 20 * 60, repairDowntimeS: 60 },
  STRESS: { meanLifeS: 150, repairDowntimeS: 15 },
};
