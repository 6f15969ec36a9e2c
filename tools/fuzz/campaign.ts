/**
 * Long fuzzing campaign over the same targets as test/protocol/fuzz.test.ts:
 *
 *   npm run fuzz -- --seconds 600 --seed 7 [--targets frames,batches,legacy,codecs] [--start 0]
 *   npm run fuzz -- --seed 7 --targets batches --index 12345     (reproduce one input)
 *
 * Targets share the time equally, in slices of a few hundred milliseconds; input
 * indexes keep counting up, so a campaign never repeats an input and any failure
 * reproduces from (target, seed, index) alone. Prints inputs/s every 10 s and each
 * failure (with the input's hex) as it is found; exits 1 if any were.
 */
import { parseArgs } from 'node:util';
import { FuzzReport, TARGETS, createFuzzSuite, describeFailure } from './suite.ts';
import type { TargetName } from './suite.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    seed: { type: 'string', default: String(Date.now() % 2 ** 31) },
    targets: { type: 'string', default: TARGETS.join(',') },
    start: { type: 'string', default: '0' },
    'max-failures': { type: 'string', default: '50' },
    /** Re-run just this input index of each target (a reproduction), printing the outcome. */
    index: { type: 'string' },
  },
});

const seconds = Number(args.seconds);
const seed = Number(args.seed);
const targets = args.targets!.split(',') as TargetName[];
for (const t of targets) if (!TARGETS.includes(t)) throw new Error(`unknown target ${t}; targets: ${TARGETS.join(', ')}`);

const suite = createFuzzSuite(seed);
if (args.index !== undefined) {
  for (const t of targets) {
    const report = new FuzzReport();
    await suite.run(t, Number(args.index), 1, report);
    console.log(`${t} seed ${seed} index ${args.index}: ${report.accepted} decoder calls returned, ${report.rejected} threw ProtocolDecodeError`);
    for (const f of report.failures) console.log(`FAILURE ${describeFailure(f)}`);
    if (report.failures.length > 0) process.exitCode = 1;
  }
  process.exit();
}
const SLICE_MS = 250;
interface State {
  report: FuzzReport;
  next: number;
  chunk: number;
  ms: number;
  printed: number;
}
const maxFailures = Number(args['max-failures']);
const states = new Map<TargetName, State>(
  targets.map((t) => [t, { report: new FuzzReport(maxFailures), next: Number(args.start), chunk: 200, ms: 0, printed: 0 }]),
);

console.log(`fuzz campaign: seed ${seed}, ${seconds} s, targets ${targets.join(', ')}, ${suite.frames.frames.length} golden frames`);
const started = performance.now();
const deadline = started + seconds * 1000;
let lastStatus = started;

function status(final: boolean): void {
  const elapsed = (performance.now() - started) / 1000;
  let total = 0;
  let failures = 0;
  const parts: string[] = [];
  for (const [t, s] of states) {
    total += s.report.inputs;
    failures += s.report.failures.length + s.report.dropped;
    const f = s.report.failures.length + s.report.dropped;
    parts.push(`${t} ${s.report.inputs} (${Math.round(s.report.inputs / Math.max(s.ms / 1000, 1e-9))}/s${f > 0 ? `, ${f} failing` : ''})`);
  }
  console.log(`${final ? 'done' : '    '} ${elapsed.toFixed(0)}s: ${total} inputs, ${Math.round(total / elapsed)}/s, ${failures} failures | ${parts.join(', ')}`);
}

while (performance.now() < deadline) {
  for (const [t, s] of states) {
    const t0 = performance.now();
    await suite.run(t, s.next, s.chunk, s.report);
    const ms = performance.now() - t0;
    s.next += s.chunk;
    s.ms += ms;
    // Aim each slice at SLICE_MS.
    s.chunk = Math.max(10, Math.min(100_000, Math.round((s.chunk * SLICE_MS) / Math.max(ms, 1))));
    for (; s.printed < s.report.failures.length; s.printed++) console.log(`FAILURE ${describeFailure(s.report.failures[s.printed]!)}`);
    if (performance.now() >= deadline) break;
  }
  if (performance.now() - lastStatus > 10_000) {
    lastStatus = performance.now();
    status(false);
  }
}
status(true);
let failed = 0;
for (const s of states.values()) failed += s.report.failures.length + s.report.dropped;
if (failed > 0) {
  console.log(`${failed} failing inputs; reproduce one with --seed S --targets T --index I, or decode its hex directly.`);
  process.exitCode = 1;
}
