import { describe, expect, it } from 'vitest';
import { ALERT_WAIT_MS, LiveScoring } from './scoring.ts';

describe('LiveScoring', () => {
  it('has nothing to show until a prediction meets its ground truth', () => {
    const scoring = new LiveScoring();
    scoring.prediction('p', 1, 'HEALTHY', 0);
    scoring.flush(ALERT_WAIT_MS);
    expect(scoring.summary()).toBeNull();
  });

  it('scores a prediction once its pump’s next one arrives, against the truth of its seq', () => {
    const scoring = new LiveScoring();
    scoring.truth('p', 1, 'HEALTHY');
    scoring.truth('p', 2, 'FAULTY');
    scoring.prediction('p', 1, 'HEALTHY', 0);
    scoring.prediction('p', 2, 'WARNING', 1000);
    expect(scoring.summary()).toMatchObject({ scored: 1, accuracy: 1, falseAlarms: 0 });
    scoring.flush(1000 + ALERT_WAIT_MS);
    expect(scoring.summary()).toMatchObject({ scored: 2, accuracy: 0.5 });
    expect(scoring.summary()?.confusion[2]?.[1]).toBe(1); // truth FAULTY, predicted WARNING
  });

  it('counts an alarm raised while the truth was HEALTHY as a false alarm', () => {
    const scoring = new LiveScoring();
    scoring.truth('p', 7, 'HEALTHY');
    scoring.prediction('p', 7, 'FAULTY', 0);
    scoring.alarm('p', 7);
    // The alarm scored it: neither the next prediction nor a flush scores it again.
    scoring.prediction('p', 8, 'FAULTY', 1000);
    scoring.flush(0);
    expect(scoring.summary()).toMatchObject({ scored: 1, falseAlarms: 1 });
  });

  it('ignores an alert for another seq than the pump’s waiting prediction', () => {
    const scoring = new LiveScoring();
    scoring.truth('p', 7, 'HEALTHY');
    scoring.prediction('p', 7, 'FAULTY', 0);
    scoring.alarm('p', 6);
    scoring.flush(ALERT_WAIT_MS);
    expect(scoring.summary()).toMatchObject({ scored: 1, falseAlarms: 0 });
  });
});
