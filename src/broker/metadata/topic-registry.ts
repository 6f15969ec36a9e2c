import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../storage/file-io.ts';

/**
 * The broker's topic metadata: names, ids, partition counts and topic-level config
 * overrides. A single-node broker keeps it in `samsa-metadata.json` in the first log
 * dir, rewritten atomically (write, fsync, rename) on every change. (A KRaft
 * metadata log replaces this file when the controller quorum arrives.)
 *
 * File format: {"version":1,"clusterId":"…","topics":[{"name","topicId","partitions",
 * "replicationFactor","configs":{…}}]}
 */
export interface TopicMetadata {
  name: string;
  /** Kafka UUID, 22-character base64url. */
  topicId: string;
  partitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

interface MetadataFile {
  version: 1;
  clusterId: string;
  topics: TopicMetadata[];
}

const FILE_NAME = 'samsa-metadata.json';

/** A random Kafka UUID: not the zero or "one" sentinel, and (like Kafka) never starting with '-'. */
export function randomKafkaUuid(): string {
  for (;;) {
    const s = randomBytes(16).toString('base64url');
    if (!s.startsWith('-') && s !== 'AAAAAAAAAAAAAAAAAAAAAA' && s !== 'AAAAAAAAAAAAAAAAAAAAAQ') return s;
  }
}

export class TopicRegistry {
  private readonly byName = new Map<string, TopicMetadata>();
  private readonly byId = new Map<string, TopicMetadata>();
  readonly clusterId: string;
  private readonly path: string;
  /** The directory holding the metadata file (the first log dir). */
  readonly dir: string;

  private constructor(path: string, clusterId: string, topics: TopicMetadata[]) {
    this.path = path;
    this.dir = dirname(path);
    this.clusterId = clusterId;
    for (const t of topics) this.index(t);
  }

  /** Loads the registry from `dir`, or creates an empty one with a new (or given) cluster id. */
  static open(dir: string, clusterId?: string | null): TopicRegistry {
    const path = join(dir, FILE_NAME);
    if (existsSync(path)) {
      const file = JSON.parse(readFileSync(path, 'utf8')) as MetadataFile;
      if (file.version !== 1) throw new Error(`${path}: unsupported metadata file version ${String(file.version)}`);
      if (clusterId && clusterId !== file.clusterId) {
        throw new Error(`cluster.id ${clusterId} does not match ${file.clusterId} stored in ${path}`);
      }
      return new TopicRegistry(path, file.clusterId, file.topics);
    }
    const reg = new TopicRegistry(path, clusterId || randomKafkaUuid(), []);
    reg.persist();
    return reg;
  }

  get(name: string): TopicMetadata | undefined {
    return this.byName.get(name);
  }

  getById(topicId: string): TopicMetadata | undefined {
    return this.byId.get(topicId);
  }

  all(): TopicMetadata[] {
    return [...this.byName.values()];
  }

  create(name: string, partitions: number, replicationFactor: number, configs: Record<string, string>): TopicMetadata {
    if (this.byName.has(name)) throw new Error(`Topic '${name}' already exists.`);
    let topicId = randomKafkaUuid();
    while (this.byId.has(topicId)) topicId = randomKafkaUuid();
    const t: TopicMetadata = { name, topicId, partitions, replicationFactor, configs: { ...configs } };
    // Every change is written before it is applied: a write that fails (a full disk)
    // leaves the registry as the file has it, and the request fails as a whole.
    this.persist([...this.all(), t]);
    this.index(t);
    return t;
  }

  delete(name: string): TopicMetadata | undefined {
    const t = this.byName.get(name);
    if (!t) return undefined;
    this.persist(this.all().filter((x) => x !== t));
    this.byName.delete(name);
    this.byId.delete(t.topicId);
    return t;
  }

  setPartitions(name: string, partitions: number): void {
    const t = this.byName.get(name);
    if (!t) throw new Error(`unknown topic ${name}`);
    this.persist(this.all().map((x) => (x === t ? { ...t, partitions } : x)));
    t.partitions = partitions;
  }

  setConfigs(name: string, configs: Record<string, string>): void {
    const t = this.byName.get(name);
    if (!t) throw new Error(`unknown topic ${name}`);
    this.persist(this.all().map((x) => (x === t ? { ...t, configs: { ...configs } } : x)));
    t.configs = { ...configs };
  }

  private index(t: TopicMetadata): void {
    this.byName.set(t.name, t);
    this.byId.set(t.topicId, t);
  }

  /** Writes `topics` as the whole file (write aside, fsync, rename); on failure the old file stays. */
  private persist(topics: TopicMetadata[] = this.all()): void {
    const file: MetadataFile = { version: 1, clusterId: this.clusterId, topics };
    writeFileAtomic(this.path, JSON.stringify(file, null, 1));
  }
}
