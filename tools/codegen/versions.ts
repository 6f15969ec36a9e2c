/**
 * Version ranges as Kafka's generator writes them: "3", "1-4", "2+", "none".
 * `hi` is Infinity for an open-ended range. The empty range is `null`.
 */
export interface VersionRange {
  readonly lo: number;
  readonly hi: number;
}

export function parseVersions(text: string, what: string): VersionRange | null {
  const s = text.trim();
  if (s === 'none') return null;
  let m = /^(\d+)\+$/.exec(s);
  if (m) return { lo: Number(m[1]), hi: Infinity };
  m = /^(\d+)-(\d+)$/.exec(s);
  if (m) {
    const lo = Number(m[1]);
    const hi = Number(m[2]);
    if (hi < lo) throw new Error(`${what}: empty version range "${text}"`);
    return { lo, hi };
  }
  m = /^(\d+)$/.exec(s);
  if (m) return { lo: Number(m[1]), hi: Number(m[1]) };
  throw new Error(`${what}: cannot parse versions "${text}"`);
}

export function intersect(a: VersionRange | null, b: VersionRange | null): VersionRange | null {
  if (a === null || b === null) return null;
  const lo = Math.max(a.lo, b.lo);
  const hi = Math.min(a.hi, b.hi);
  return lo <= hi ? { lo, hi } : null;
}

/** a minus b, when the result is one range (b open-ended or touching an end). */
export function subtract(a: VersionRange | null, b: VersionRange | null): VersionRange | null {
  if (a === null) return null;
  const overlap = intersect(a, b);
  if (overlap === null) return a;
  if (overlap.lo <= a.lo && overlap.hi >= a.hi) return null;
  if (overlap.lo <= a.lo) return { lo: overlap.hi + 1, hi: a.hi };
  if (overlap.hi >= a.hi) return { lo: a.lo, hi: overlap.lo - 1 };
  throw new Error(`cannot subtract ${format(b)} from ${format(a)}: result is not one range`);
}

export function covers(outer: VersionRange | null, inner: VersionRange | null): boolean {
  if (inner === null) return true;
  if (outer === null) return false;
  return outer.lo <= inner.lo && outer.hi >= inner.hi;
}

/** The smallest range containing both. */
export function hull(a: VersionRange | null, b: VersionRange | null): VersionRange | null {
  if (a === null) return b;
  if (b === null) return a;
  return { lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) };
}

export function contains(r: VersionRange | null, v: number): boolean {
  return r !== null && v >= r.lo && v <= r.hi;
}

export function format(r: VersionRange | null): string {
  if (r === null) return 'none';
  if (r.hi === Infinity) return `${r.lo}+`;
  return r.lo === r.hi ? `${r.lo}` : `${r.lo}-${r.hi}`;
}

/**
 * A JS condition true exactly for the versions of `r` within `ctx` (the versions
 * the surrounding code can run for). 'true' and 'false' when `ctx` decides it.
 */
export function condition(r: VersionRange | null, ctx: VersionRange, v = 'version'): string {
  const i = intersect(r, ctx);
  if (i === null) return 'false';
  const needLo = i.lo > ctx.lo;
  const needHi = i.hi < ctx.hi;
  if (!needLo && !needHi) return 'true';
  if (needLo && needHi) return i.lo === i.hi ? `${v} === ${i.lo}` : `(${v} >= ${i.lo} && ${v} <= ${i.hi})`;
  return needLo ? `${v} >= ${i.lo}` : `${v} <= ${i.hi}`;
}

/** The negation of `condition`, written directly. */
export function notCondition(r: VersionRange | null, ctx: VersionRange, v = 'version'): string {
  const i = intersect(r, ctx);
  if (i === null) return 'true';
  const needLo = i.lo > ctx.lo;
  const needHi = i.hi < ctx.hi;
  if (!needLo && !needHi) return 'false';
  if (needLo && needHi) return i.lo === i.hi ? `${v} !== ${i.lo}` : `(${v} < ${i.lo} || ${v} > ${i.hi})`;
  return needLo ? `${v} < ${i.lo}` : `${v} > ${i.hi}`;
}
