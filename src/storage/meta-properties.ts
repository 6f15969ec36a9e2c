import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StorageError, StorageErrorCode } from './errors.ts';
import { writeFileAtomic } from './file-io.ts';

/**
 * `meta.properties` in each log dir, KRaft's version 1 format (Java properties):
 *
 *   #
 *   #<date>
 *   node.id=1
 *   directory.id=<22-char base64url uuid>
 *   version=1
 *   cluster.id=<cluster id>
 *
 * Written when a dir is formatted; on later starts node.id and cluster.id must match,
 * so a dir cannot silently move to another broker or cluster.
 */
export const META_PROPERTIES = 'meta.properties';

export interface MetaProperties {
  version: number;
  nodeId: number;
  clusterId: string;
  directoryId: string;
}

/** A random Kafka Uuid in its string form (base64url of 16 bytes, no padding). */
export function randomKafkaUuid(): string {
  return crypto.randomBytes(16).toString('base64url');
}

export function readMetaProperties(dir: string): MetaProperties | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, META_PROPERTIES), 'utf8');
  } catch {
    return null;
  }
  const props = new Map<string, string>();
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (l === '' || l.startsWith('#') || l.startsWith('!')) continue;
    const i = l.search(/[=:]/);
    if (i < 0) continue;
    props.set(l.slice(0, i).trim(), l.slice(i + 1).trim());
  }
  return {
    version: Number(props.get('version') ?? '0'),
    nodeId: Number(props.get('node.id') ?? props.get('broker.id') ?? '-1'),
    clusterId: props.get('cluster.id') ?? '',
    directoryId: props.get('directory.id') ?? '',
  };
}

export function writeMetaProperties(dir: string, meta: MetaProperties): void {
  const text = `#\n#${new Date().toString()}\nnode.id=${meta.nodeId}\ndirectory.id=${meta.directoryId}\nversion=${meta.version}\ncluster.id=${meta.clusterId}\n`;
  writeFileAtomic(path.join(dir, META_PROPERTIES), text);
}

/** Reads or creates meta.properties; throws when it belongs to another node or cluster. */
export function ensureMetaProperties(dir: string, nodeId: number, clusterId: string): MetaProperties {
  const existing = readMetaProperties(dir);
  if (existing) {
    if (existing.clusterId !== '' && existing.clusterId !== clusterId) {
      throw new StorageError(StorageErrorCode.KAFKA_STORAGE_ERROR, `Log dir ${dir} belongs to cluster ${existing.clusterId}, not ${clusterId} (see ${META_PROPERTIES})`);
    }
    if (existing.nodeId >= 0 && existing.nodeId !== nodeId) {
      throw new StorageError(StorageErrorCode.KAFKA_STORAGE_ERROR, `Log dir ${dir} belongs to node ${existing.nodeId}, not ${nodeId} (see ${META_PROPERTIES})`);
    }
    if (existing.directoryId !== '' && existing.clusterId !== '') return existing;
  }
  const meta: MetaProperties = { version: 1, nodeId, clusterId, directoryId: existing?.directoryId || randomKafkaUuid() };
  writeMetaProperties(dir, meta);
  return meta;
}
