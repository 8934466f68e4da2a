import { RiskLevel } from './risk.entity';

/** Score bands of DOMAIN.md: LOW ≤ 4 < MEDIUM ≤ 9 < HIGH ≤ 15 < CRITICAL. */
export const LEVEL_BANDS: Record<RiskLevel, [number, number]> = {
  [RiskLevel.LOW]: [1, 4],
  [RiskLevel.MEDIUM]: [5, 9],
  [RiskLevel.HIGH]: [10, 15],
  [RiskLevel.CRITICAL]: [16, 25],
};

export function levelOf(score: number): RiskLevel {
  if (score <= 4) return RiskLevel.LOW;
  if (score <= 9) return RiskLevel.MEDIUM;
  if (score <= 15) return RiskLevel.HIGH;
  return RiskLevel.CRITICAL;
}

export interface Scores {
  inherentScore: number;
  residualScore: number;
}

/** Residual likelihood and impact default to the inherent ones until treatment sets them. */
export function scoresOf(r: { likelihood: number; impact: number; residualLikelihoodSet: number | null; residualImpactSet: number | null }): Scores {
  return {
    inherentScore: r.likelihood * r.impact,
    residualScore: (r.residualLikelihoodSet ?? r.likelihood) * (r.residualImpactSet ?? r.impact),
  };
}

/** SQL condition (bound, whitelisted) that a score column falls in one of the levels. */
export function levelCondition(column: string, levels: RiskLevel[], param: string): { sql: string; params: Record<string, number> } {
  const params: Record<string, number> = {};
  const parts = levels.map((level, i) => {
    const [low, high] = LEVEL_BANDS[level];
    params[`${param}Low${i}`] = low;
    params[`${param}High${i}`] = high;
    return `${column} BETWEEN :${param}Low${i} AND :${param}High${i}`;
  });
  return { sql: `(${parts.join(' OR ')})`, params };
}
