/**
 * Watches the allocations a decoder makes while armed: Buffer.alloc /
 * allocUnsafe / allocUnsafeSlow sizes and `new Array(n)` lengths. A decoder that
 * trusts a lying length shows up as an allocation far beyond its input.
 *
 * Installing it replaces globalThis.Array with a Proxy (instances are still plain
 * arrays) and wraps Buffer's static allocators; do it only in fuzzing processes.
 */
let armed = false;
let largest = 0;
let installed = false;

function note(n: unknown): void {
  if (armed && typeof n === 'number' && n > largest) largest = n;
}

export function installAllocGuard(): void {
  if (installed) return;
  installed = true;
  const B = Buffer as unknown as Record<string, (...args: unknown[]) => Buffer>;
  for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow']) {
    const original = B[name]!.bind(Buffer);
    B[name] = (...args: unknown[]) => {
      note(args[0]);
      return original(...args);
    };
  }
  const OriginalArray = Array;
  (globalThis as { Array: ArrayConstructor }).Array = new Proxy(OriginalArray, {
    construct(target, args, newTarget) {
      if (args.length === 1) note(args[0]);
      return Reflect.construct(target, args, newTarget) as object;
    },
    apply(target, thisArg, args) {
      if (args.length === 1) note(args[0]);
      return Reflect.apply(target, thisArg, args) as unknown;
    },
  });
}

/** Runs fn armed; returns the largest allocation (bytes or elements) it requested. */
export function largestAllocation(fn: () => void): number {
  armed = true;
  largest = 0;
  try {
    fn();
  } finally {
    armed = false;
  }
  return largest;
}
