/**
 * Client benchmark: Samsa's producer and consumer against kafkajs and
 * @platformatic/kafka, each in the same run against the same Samsa broker
 * (bench/client-producer.bench.ts and bench/client-consumer.bench.ts, run one after
 * the other so they do not compete for the two cores).
 *
 *   npm run bench:client [-- <args passed to both>]
 *
 * Ends with the line tools read; each ratio is the worst over the scenarios
 * measured (100 B and 1 KiB; batched and awaited sends for the producer):
 *   client-bench producer_vs_kafkajs=X producer_vs_platformatic=X consumer_vs_kafkajs=X consumer_vs_platformatic=X
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function runBench(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, file), ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      process.stdout.write(d);
      out += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${file} exited with ${code}`))));
  });
}

/** Ratios from a summary line (`<prefix> k=v k=v …`) whose key matches `keep`, by peer; prints which scenario is the worst. */
function worstRatios(output: string, prefix: string, keep: (key: string) => boolean): Record<string, number> {
  const line = output.split('\n').find((l) => l.startsWith(`${prefix} `));
  if (!line) throw new Error(`no "${prefix}" summary line in the output`);
  const worst: Record<string, number> = {};
  const where: Record<string, string> = {};
  for (const pair of line.slice(prefix.length + 1).trim().split(/\s+/)) {
    const [key, value] = pair.split('=');
    const m = /_vs_(kafkajs|platformatic)$/.exec(key ?? '');
    if (!m || !keep(key!)) continue;
    const peer = m[1]!;
    if (Number(value) < (worst[peer] ?? Infinity)) {
      worst[peer] = Number(value);
      where[peer] = key!;
    }
  }
  console.log(`${prefix} worst: ${Object.entries(where).map(([peer, key]) => `${key}=${worst[peer]}`).join(' ')}`);
  return worst;
}

const producer = worstRatios(await runBench('client-producer.bench.ts'), 'producer-bench', (k) => k.startsWith('samsa_'));
const consumer = worstRatios(await runBench('client-consumer.bench.ts'), 'consumer-bench', () => true);
const f = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? 'NaN' : n.toFixed(2));
console.log(
  `client-bench producer_vs_kafkajs=${f(producer.kafkajs)} producer_vs_platformatic=${f(producer.platformatic)} ` +
    `consumer_vs_kafkajs=${f(consumer.kafkajs)} consumer_vs_platformatic=${f(consumer.platformatic)}`,
);
