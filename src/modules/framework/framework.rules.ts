/**
 * Orders catalog versions such as `1.0` < `2.0` < `10.0`, `rev4` < `rev5`, `2013` < `2022`: runs
 * of digits compare as numbers, other text case-insensitively, and a version that extends another
 * (`2.0.1` after `2.0`) is newer.
 */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.trim().toLowerCase().match(/\d+|[^\d.\-_\s]+/g) ?? [];
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return Math.sign(d);
    } else if (nx !== ny) {
      return nx ? 1 : -1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return Math.sign(pa.length - pb.length);
}
