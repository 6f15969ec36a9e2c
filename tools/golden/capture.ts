/**
 * Captures golden frames from real Kafka clients through the recording proxy:
 *
 *   node tools/golden/capture.ts [--mode stub|broker|both] [--clients kcat,kafkajs,...]
 *                                [--per-api 10] [--out test/fixtures/golden]
 *
 * broker mode starts a real `samsa start` whose advertised listener is the proxy,
 * so every connection a client opens goes through it; stub mode answers from the
 * proxy's built-in stub (more APIs, but only requests are kept). Each client
 * scenario runs for a few seconds and is then killed; clients erroring on a
 * missing API is expected.
 *
 * Fixtures are merged into what is already committed:
 * <out>/<client>/<NN>-<ApiName>-v<version>-<request|response>.bin, whole wire
 * frames (size prefix included); a request and the response to it share NN.
 * A request identical to a kept one (correlation id aside) is dropped, and at most
 * --per-api requests are kept per client and API, every version seen first.
 */
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { API_BY_KEY } from '../../src/protocol/generated/api-keys.ts';
import { RecordingProxy } from './proxy.ts';
import type { RecordedFrame } from './proxy.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLIENTS_DIR = join(ROOT, 'tools', 'golden', 'clients');
const PYTHON = '/usr/bin/python3';
const NODE = process.execPath;

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'both' },
    clients: { type: 'string', default: 'kcat,confluent-kafka,kafka-python,kafkajs,platformatic' },
    'per-api': { type: 'string', default: '10' },
    out: { type: 'string', default: join(ROOT, 'test', 'fixtures', 'golden') },
  },
});
const PER_API = Number(args['per-api']);
const OUT = resolve(args.out!);
const wanted = new Set(args.clients!.split(','));

interface Scenario {
  client: string;
  name: string;
  cmd: string;
  args: (bootstrap: string) => string[];
  stdin?: string;
  seconds: number;
}

const kcatProduce = (codec: string): Scenario => ({
  client: 'kcat',
  name: `produce ${codec}`,
  cmd: 'kcat',
  args: (b) => ['-b', b, '-P', '-t', 'golden', '-K', ':', '-z', codec, '-X', 'message.timeout.ms=1500', '-H', 'h=v'],
  stdin: 'k1:hello\nk2:world\n:no key\n',
  seconds: 4,
});
const script = (client: string, file: string, scenario: string, seconds: number, python: boolean): Scenario => ({
  client,
  name: scenario,
  cmd: python ? PYTHON : NODE,
  args: (b) => [join(CLIENTS_DIR, file), b, scenario],
  seconds,
});

const SCENARIOS: Scenario[] = [
  { client: 'kcat', name: 'metadata', cmd: 'kcat', args: (b) => ['-b', b, '-L'], seconds: 3 },
  ...['none', 'gzip', 'snappy', 'lz4', 'zstd'].map(kcatProduce),
  { client: 'kcat', name: 'consume', cmd: 'kcat', args: (b) => ['-b', b, '-C', '-t', 'golden', '-o', 'beginning', '-e', '-c', '3'], seconds: 4 },
  { client: 'kcat', name: 'group consume', cmd: 'kcat', args: (b) => ['-b', b, '-G', 'golden-kcat-group', 'golden', '-e'], seconds: 5 },
  script('confluent-kafka', 'confluent_kafka_client.py', 'producer', 10, true),
  script('confluent-kafka', 'confluent_kafka_client.py', 'transaction', 7, true),
  script('confluent-kafka', 'confluent_kafka_client.py', 'fetch', 5, true),
  script('confluent-kafka', 'confluent_kafka_client.py', 'consumer', 6, true),
  script('confluent-kafka', 'confluent_kafka_client.py', 'admin', 8, true),
  script('kafka-python', 'kafka_python_client.py', 'producer', 8, true),
  script('kafka-python', 'kafka_python_client.py', 'fetch', 5, true),
  script('kafka-python', 'kafka_python_client.py', 'consumer', 6, true),
  script('kafka-python', 'kafka_python_client.py', 'admin', 8, true),
  script('kafkajs', 'kafkajs.ts', 'producer', 6, false),
  script('kafkajs', 'kafkajs.ts', 'idempotent', 5, false),
  script('kafkajs', 'kafkajs.ts', 'transaction', 6, false),
  script('kafkajs', 'kafkajs.ts', 'consumer', 6, false),
  script('kafkajs', 'kafkajs.ts', 'admin', 8, false),
  script('platformatic', 'platformatic.ts', 'producer', 8, false),
  script('platformatic', 'platformatic.ts', 'consumer', 6, false),
  script('platformatic', 'platformatic.ts', 'admin', 8, false),
];

function runScenario(s: Scenario, bootstrap: string): Promise<void> {
  return new Promise((resolvePromise) => {
    const child = spawn(s.cmd, s.args(bootstrap), { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.stdin.on('error', () => {});
    child.stdin.end(s.stdin ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), s.seconds * 1000);
    child.on('error', (e) => {
      output += String(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const tail = output.trim().split('\n').slice(-3).join(' | ').slice(0, 300);
      console.log(`  ${s.client} ${s.name}: exit ${code ?? signal} ${tail}`);
      resolvePromise();
    });
  });
}

interface Broker {
  port: number;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolvePromise(port));
    });
  });
}

/**
 * Starts `samsa start` advertising the proxy's port, so clients reconnect through
 * it. Its ready line prints the advertised listener, so the bound port is chosen here.
 */
async function startBroker(proxyPort: number): Promise<Broker> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-golden-'));
  const child = spawn(
    NODE,
    [
      join(ROOT, 'src', 'cli', 'main.ts'),
      'start',
      '--override',
      `listeners=PLAINTEXT://127.0.0.1:${port}`,
      '--override',
      `advertised.listeners=PLAINTEXT://127.0.0.1:${proxyPort}`,
      '--override',
      `log.dirs=${dataDir}`,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker not ready after 20 s:\n${log}`)), 20_000);
    const onData = (d: Buffer) => {
      log += d.toString();
      if (!log.includes('samsa ready')) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stdout.resume();
      child.stderr.resume();
      resolvePromise({
        port,
        stop: () =>
          new Promise<void>((done) => {
            child.once('close', () => {
              rmSync(dataDir, { recursive: true, force: true });
              done();
            });
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
          }),
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    child.on('close', (code) => reject(new Error(`broker exited ${code}:\n${log}`)));
  });
}

/** A recorded request and, from a real upstream, the response to it. */
interface Exchange {
  request: RecordedFrame;
  response: RecordedFrame | null;
}

function exchangesOf(frames: readonly RecordedFrame[]): Exchange[] {
  const responseFor = new Map<number, RecordedFrame>();
  for (const f of frames) {
    if (f.direction === 'response' && f.source === 'upstream' && f.requestIndex !== undefined) responseFor.set(f.requestIndex, f);
  }
  const out: Exchange[] = [];
  frames.forEach((f, i) => {
    if (f.direction === 'request') out.push({ request: f, response: responseFor.get(i) ?? null });
  });
  return out;
}

async function captureRun(mode: 'stub' | 'broker'): Promise<Exchange[]> {
  console.log(`capture: ${mode}`);
  let proxy = new RecordingProxy();
  const proxyPort = await proxy.listen();
  let broker: Broker | null = null;
  if (mode === 'broker') {
    broker = await startBroker(proxyPort);
    await proxy.close();
    proxy = new RecordingProxy({ upstream: { host: '127.0.0.1', port: broker.port } });
    await proxy.listen(proxyPort);
  }
  const bootstrap = `127.0.0.1:${proxyPort}`;
  for (const s of SCENARIOS) {
    if (!wanted.has(s.client)) continue;
    proxy.label = s.client;
    await runScenario(s, bootstrap);
    proxy.dropConnections();
  }
  await proxy.close();
  await broker?.stop();
  return exchangesOf(proxy.frames);
}

// ---- fixture selection ----

const FIXTURE_NAME = /^(\d+)-([A-Za-z]+)-v(\d+)-(request|response)\.bin$/;

/** Dedupe key: the frame with its correlation id zeroed. */
function requestKey(frame: Buffer): string {
  const copy = Buffer.from(frame);
  copy.fill(0, 8, 12);
  return copy.toString('base64');
}

function apiName(apiKey: number): string {
  return API_BY_KEY.get(apiKey)?.name ?? `Unknown${apiKey}`;
}

function writeFixtures(exchanges: readonly Exchange[]): void {
  const byClient = new Map<string, number[]>();
  exchanges.forEach((x, i) => {
    let list = byClient.get(x.request.client);
    if (list === undefined) byClient.set(x.request.client, (list = []));
    list.push(i);
  });
  for (const [client, indexes] of byClient) {
    const dir = join(OUT, client);
    mkdirSync(dir, { recursive: true });
    const seen = new Set<string>();
    /** Requests already kept without a response (from the stub), by key: a real response can join them. */
    const awaitingResponse = new Map<string, string>();
    const perApi = new Map<string, number>();
    const versionsKept = new Set<string>();
    let next = 0;
    for (const file of readdirSync(dir)) {
      const m = FIXTURE_NAME.exec(file);
      if (m === null) continue;
      const nn = Number(m[1]);
      next = Math.max(next, nn + 1);
      if (m[4] === 'response') continue;
      const key = requestKey(readFileSync(join(dir, file)));
      seen.add(key);
      if (!existsSync(join(dir, file.replace(/-request\.bin$/, '-response.bin')))) awaitingResponse.set(key, file.replace(/-request\.bin$/, ''));
      perApi.set(m[2]!, (perApi.get(m[2]!) ?? 0) + 1);
      versionsKept.add(`${m[2]}-v${m[3]}`);
    }
    const existing = next;
    let joined = 0;
    for (const i of indexes) {
      const { request, response } = exchanges[i]!;
      const base = response === null ? undefined : awaitingResponse.get(requestKey(request.frame));
      if (base === undefined || response === null) continue;
      writeFileSync(join(dir, `${base}-response.bin`), response.frame);
      awaitingResponse.delete(requestKey(request.frame));
      joined++;
    }
    // First pass: one of every (API, version) not yet kept; second: fill up to the cap.
    const chosen: number[] = [];
    for (const pass of [0, 1]) {
      for (const i of indexes) {
        const f = exchanges[i]!.request;
        const name = apiName(f.apiKey);
        const key = requestKey(f.frame);
        if (seen.has(key) || (perApi.get(name) ?? 0) >= PER_API) continue;
        const version = `${name}-v${f.apiVersion}`;
        if (pass === 0 && versionsKept.has(version)) continue;
        seen.add(key);
        versionsKept.add(version);
        perApi.set(name, (perApi.get(name) ?? 0) + 1);
        chosen.push(i);
      }
    }
    chosen.sort((a, b) => a - b);
    for (const i of chosen) {
      const { request: f, response } = exchanges[i]!;
      const nn = String(next++).padStart(2, '0');
      const base = `${nn}-${apiName(f.apiKey)}-v${f.apiVersion}`;
      writeFileSync(join(dir, `${base}-request.bin`), f.frame);
      if (response !== null) writeFileSync(join(dir, `${base}-response.bin`), response.frame);
    }
    console.log(`${client}: ${chosen.length} new requests, ${joined} responses joined to kept requests (${existing} fixture numbers before)`);
  }
}

const modes: ('stub' | 'broker')[] = args.mode === 'both' ? ['broker', 'stub'] : [args.mode as 'stub' | 'broker'];
const all: Exchange[] = [];
for (const mode of modes) all.push(...(await captureRun(mode)));
writeFixtures(all);
