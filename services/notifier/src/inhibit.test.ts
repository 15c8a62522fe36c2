import { describe, expect, it } from 'vitest';
import { DEFAULT_INHIBIT_RULES } from './config.ts';
import { isInhibited } from './inhibit.ts';

describe('inhibition', () => {
  const faulty = { pumpId: 'pump-1', state: 'FAULTY' } as const;
  const broken = { pumpId: 'pump-1', state: 'BROKEN' } as const;
  const otherFaulty = { pumpId: 'pump-2', state: 'FAULTY' } as const;
  const firing = [faulty, broken, otherFaulty];

  it('mutes FAULTY while the same pump is BROKEN', () => {
    expect(isInhibited(faulty, firing, DEFAULT_INHIBIT_RULES)).toBe(true);
  });

  it('never mutes BROKEN itself', () => {
    expect(isInhibited(broken, firing, DEFAULT_INHIBIT_RULES)).toBe(false);
  });

  it('leaves another pump’s FAULTY alone', () => {
    expect(isInhibited(otherFaulty, firing, DEFAULT_INHIBIT_RULES)).toBe(false);
  });

  it('mutes a low remaining useful life while the same pump is BROKEN, and nothing else by it or of it', () => {
    const rulLow = { pumpId: 'pump-1', state: 'RUL_LOW' } as const;
    const otherRulLow = { pumpId: 'pump-2', state: 'RUL_LOW' } as const;
    expect(isInhibited(rulLow, firing, DEFAULT_INHIBIT_RULES)).toBe(true);
    // FAULTY says what the pump is, RUL_LOW how long it has: neither mutes the other
    expect(isInhibited(otherRulLow, [otherFaulty, otherRulLow], DEFAULT_INHIBIT_RULES)).toBe(false);
    expect(isInhibited(otherFaulty, [otherFaulty, otherRulLow], DEFAULT_INHIBIT_RULES)).toBe(false);
    expect(isInhibited(broken, [broken, rulLow], DEFAULT_INHIBIT_RULES)).toBe(false);
  });

  it('mutes nothing without rules', () => {
    expect(isInhibited(faulty, firing, [])).toBe(false);
  });
});
