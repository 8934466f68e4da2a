import { LEVEL_BANDS, levelCondition, levelOf, scoresOf } from '../src/modules/risk/risk.scoring';
import { RiskLevel } from '../src/modules/risk/risk.entity';

// Pure rules of DOMAIN.md: LOW ≤ 4 < MEDIUM ≤ 9 < HIGH ≤ 15 < CRITICAL, score = likelihood × impact.

describe('levelOf', () => {
  test.each([
    [1, RiskLevel.LOW],
    [4, RiskLevel.LOW],
    [5, RiskLevel.MEDIUM],
    [9, RiskLevel.MEDIUM],
    [10, RiskLevel.HIGH],
    [15, RiskLevel.HIGH],
    [16, RiskLevel.CRITICAL],
    [25, RiskLevel.CRITICAL],
  ])('score %i is %s', (score, level) => {
    expect(levelOf(score)).toBe(level);
  });

  test('every product of likelihood and impact 1-5 gets the level of its band', () => {
    for (let l = 1; l <= 5; l += 1) {
      for (let i = 1; i <= 5; i += 1) {
        const score = l * i;
        const [low, high] = LEVEL_BANDS[levelOf(score)];
        expect(score).toBeGreaterThanOrEqual(low);
        expect(score).toBeLessThanOrEqual(high);
      }
    }
  });
});

describe('LEVEL_BANDS', () => {
  test('cover 1-25 without gaps or overlaps, in level order, and agree with levelOf', () => {
    const order = [RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH, RiskLevel.CRITICAL];
    expect(Object.keys(LEVEL_BANDS).sort()).toEqual([...order].sort());
    let next = 1;
    for (const level of order) {
      const [low, high] = LEVEL_BANDS[level];
      expect(low).toBe(next);
      expect(high).toBeGreaterThanOrEqual(low);
      for (let s = low; s <= high; s += 1) expect(levelOf(s)).toBe(level);
      next = high + 1;
    }
    expect(next).toBe(26);
  });
});

describe('scoresOf', () => {
  test('inherent is likelihood × impact; residual defaults to the inherent values', () => {
    expect(scoresOf({ likelihood: 2, impact: 2, residualLikelihoodSet: null, residualImpactSet: null })).toEqual({ inherentScore: 4, residualScore: 4 });
    expect(scoresOf({ likelihood: 5, impact: 1, residualLikelihoodSet: null, residualImpactSet: null })).toEqual({ inherentScore: 5, residualScore: 5 });
    expect(scoresOf({ likelihood: 5, impact: 5, residualLikelihoodSet: null, residualImpactSet: null })).toEqual({ inherentScore: 25, residualScore: 25 });
  });

  test('each residual factor falls back to its inherent one on its own', () => {
    expect(scoresOf({ likelihood: 4, impact: 4, residualLikelihoodSet: 1, residualImpactSet: null })).toEqual({ inherentScore: 16, residualScore: 4 });
    expect(scoresOf({ likelihood: 4, impact: 4, residualLikelihoodSet: null, residualImpactSet: 2 })).toEqual({ inherentScore: 16, residualScore: 8 });
    expect(scoresOf({ likelihood: 3, impact: 3, residualLikelihoodSet: 5, residualImpactSet: 4 })).toEqual({ inherentScore: 9, residualScore: 20 });
  });
});

describe('levelCondition', () => {
  test('one BETWEEN per level, bound to the band limits, never to the level names', () => {
    const c = levelCondition('r.residualScore', [RiskLevel.MEDIUM, RiskLevel.CRITICAL], 'res');
    expect(c.sql).toBe('(r.residualScore BETWEEN :resLow0 AND :resHigh0 OR r.residualScore BETWEEN :resLow1 AND :resHigh1)');
    expect(c.params).toEqual({ resLow0: 5, resHigh0: 9, resLow1: 16, resHigh1: 25 });
  });

  test('a single level gives a single range', () => {
    const c = levelCondition('r.inherentScore', [RiskLevel.LOW], 'inh');
    expect(c.sql).toBe('(r.inherentScore BETWEEN :inhLow0 AND :inhHigh0)');
    expect(c.params).toEqual({ inhLow0: 1, inhHigh0: 4 });
  });
});
