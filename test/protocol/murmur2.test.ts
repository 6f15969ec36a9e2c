import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { murmur2, toPositive, defaultPartition } from '../../src/protocol/murmur2.ts';

const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number;

/** Seeded so a failing key reproduces: rerun with the same SAMSA_SEED. */
const SEED = Number(process.env.SAMSA_SEED ?? 0x5a45a);

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Random keys of length 0..99, so every tail length (0-3 bytes) is well covered. */
function randomKeys(count: number, seed: number): Buffer[] {
  const next = mulberry32(seed);
  const keys: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const key = Buffer.alloc(next() % 100);
    for (let j = 0; j < key.length; j++) key[j] = next() & 0xff;
    keys.push(key);
  }
  return keys;
}

test("Kafka's UtilsTest.testMurmur2 vectors", () => {
  const cases: Array<[Uint8Array, number]> = [
    [Buffer.from('21'), -973932308],
    [Buffer.from('foobar'), -790332482],
    [Buffer.from('a-little-bit-long-string'), -985981536],
    [Buffer.from('a-little-bit-longer-string'), -1486304829],
    [Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'), -58897971],
    [new Uint8Array([0x61, 0x62, 0x63]), 479470107],
  ];
  for (const [key, expected] of cases) {
    assert.equal(murmur2(key), expected, Buffer.from(key).toString());
  }
});

test('murmur2 ignores the backing buffer around a view', () => {
  const backing = Buffer.from('xx21yy');
  assert.equal(murmur2(backing.subarray(2, 4)), -973932308);
});

test('toPositive clears the sign bit, including for -2^31', () => {
  assert.equal(toPositive(-973932308), -973932308 & 0x7fffffff);
  assert.equal(toPositive(-(2 ** 31)), 0);
  assert.equal(toPositive(-1), 0x7fffffff);
  assert.equal(toPositive(42), 42);
});

test('defaultPartition is toPositive(murmur2) % numPartitions and rejects bad counts', () => {
  const key = Buffer.from('21');
  assert.equal(defaultPartition(key, 1), 0);
  assert.equal(defaultPartition(key, 7), (-973932308 & 0x7fffffff) % 7);
  for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
    assert.throws(() => defaultPartition(key, bad), RangeError);
  }
});

test(`murmur2 matches kafkajs' Java-compatible murmur2 on 10,000 random keys (seed ${SEED})`, () => {
  const next = mulberry32(SEED ^ 0x1234);
  for (const key of randomKeys(10_000, SEED)) {
    const expected = kafkajsMurmur2(key);
    assert.equal(murmur2(key), expected, `key ${key.toString('hex')}`);
    const numPartitions = 1 + (next() % 1000);
    assert.equal(defaultPartition(key, numPartitions), toPositive(expected) % numPartitions);
  }
});

// librdkafka's partitioner functions are exported C symbols that never touch the topic
// handle for murmur2, so ctypes can call them without a broker.
const LIBRDKAFKA_PARTITIONS = `
import ctypes, sys
lib = ctypes.CDLL('librdkafka.so.1')
f = lib.rd_kafka_msg_partitioner_murmur2
f.restype = ctypes.c_int32
f.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p]
out = []
for line in sys.stdin.read().split('\\n'):
    if not line:
        continue
    hexkey, n = line.split(' ')
    key = bytes.fromhex(hexkey[1:])
    out.append(str(f(None, key, len(key), int(n), None, None)))
print('\\n'.join(out))
`;

test(`defaultPartition matches librdkafka's murmur2 partitioner on 10,000 random keys (seed ${SEED})`, () => {
  const keys = randomKeys(10_000, SEED + 1);
  const next = mulberry32(SEED ^ 0x5678);
  // Half the keys with 2^31-1 partitions, which exposes (almost) the whole positive hash.
  const counts = keys.map((_, i) => (i % 2 === 0 ? 0x7fffffff : 1 + (next() % 1000)));
  // Prefix 'k' keeps empty keys from producing an empty field.
  const input = keys.map((key, i) => `k${key.toString('hex')} ${counts[i]}`).join('\n') + '\n';
  const run = spawnSync('/usr/bin/python3', ['-c', LIBRDKAFKA_PARTITIONS], { input, encoding: 'utf8' });
  if (run.error || run.status !== 0) {
    // A missing tool is a failure, never a skip: .ci/run installs python3-confluent-kafka.
    assert.fail(`librdkafka not callable via python3 ctypes: ${run.error?.message ?? run.stderr.trim().split('\n').at(-1)}`);
  }
  const got = run.stdout.trim().split('\n').map(Number);
  assert.equal(got.length, keys.length);
  for (let i = 0; i < keys.length; i++) {
    assert.equal(defaultPartition(keys[i], counts[i]), got[i], `key ${keys[i].toString('hex')} / ${counts[i]} partitions`);
  }
});
