/**
 * Emits the framing of internal records:
 *  - coordinator records (__consumer_offsets, __transaction_state, __share_group_state):
 *    key = int16 record type (the key's version) + key body, value = int16 version +
 *    value body, or null for a tombstone — as Kafka's CoordinatorRecordSerde;
 *  - KRaft metadata records: uvarint frame version (1), uvarint apiKey, uvarint
 *    version, body — as Kafka's AbstractApiMessageSerde (frame version 0 was the
 *    2.8 preview and is rejected).
 */
import { CodeWriter } from './code-writer.ts';
import { GENERATED_HEADER } from './emit-message.ts';
import { kebabCase } from './names.ts';
import type { MessageSpec } from './spec.ts';

export const COORDINATORS = [
  { folder: 'group-coordinator', name: 'GroupCoordinator', topic: '__consumer_offsets' },
  { folder: 'transaction-coordinator', name: 'TransactionCoordinator', topic: '__transaction_state' },
  { folder: 'share-coordinator', name: 'ShareCoordinator', topic: '__share_group_state' },
] as const;

interface CoordinatorPair {
  readonly type: string;
  readonly key: MessageSpec;
  readonly value: MessageSpec;
}

function pairs(messages: readonly MessageSpec[], folder: string): CoordinatorPair[] {
  const inFolder = messages.filter((m) => m.folder === folder);
  const out: CoordinatorPair[] = [];
  const used = new Map<number, string>();
  for (const key of inFolder.filter((m) => m.name.endsWith('Key'))) {
    const type = key.name.slice(0, -3);
    const value = inFolder.find((m) => m.name === `${type}Value`);
    if (value === undefined) throw new Error(`${key.source}: no ${type}Value`);
    for (let v = key.validVersions.lo; v <= key.validVersions.hi; v++) {
      const other = used.get(v);
      if (other !== undefined) throw new Error(`${folder}: record type ${v} used by ${other} and ${type}`);
      used.set(v, type);
    }
    out.push({ type, key, value });
  }
  for (const m of inFolder) {
    if (!out.some((p) => p.key === m || p.value === m)) throw new Error(`${m.source}: not a key/value record`);
  }
  return out.sort((a, b) => a.key.validVersions.lo - b.key.validVersions.lo);
}

function emitCoordinator(cw: CodeWriter, c: (typeof COORDINATORS)[number], ps: readonly CoordinatorPair[]): void {
  const n = c.name;
  cw.line(`/** A decoded ${c.topic} record. \`value\` is null for a tombstone. */`);
  cw.line(`export type ${n}Record =`);
  for (const p of ps) {
    cw.line(`  | { readonly type: '${p.type}'; readonly keyVersion: number; readonly key: ${p.key.name}; readonly valueVersion: number | null; readonly value: ${p.value.name} | null }`);
  }
  cw.line('  ;');
  cw.line();
  cw.line(`/** A ${c.topic} record to encode; versions default to the newest. */`);
  cw.line(`export type ${n}RecordInit =`);
  for (const p of ps) {
    cw.line(`  | { readonly type: '${p.type}'; readonly keyVersion?: number; readonly key: ${p.key.name}Init; readonly valueVersion?: number; readonly value: ${p.value.name}Init | null }`);
  }
  cw.line('  ;');
  cw.line();
  cw.line(`/** Record types (key versions) of ${c.topic}. */`);
  cw.open(`export const ${n}RecordType =`);
  for (const p of ps) cw.line(`${p.type}: ${p.key.validVersions.hi},`);
  cw.close('} as const;');
  cw.line();
  cw.line(`/** Encodes a ${c.topic} record's key and value (null value: tombstone). */`);
  cw.open(`export function encode${n}Record(rec: ${n}RecordInit): { key: Buffer; value: Buffer | null }`);
  cw.open('switch (rec.type)');
  for (const p of ps) {
    cw.open(`case '${p.type}':`);
    cw.line(`const keyVersion = rec.keyVersion ?? ${p.key.validVersions.hi};`);
    cw.line(`const kw = new Writer(64).int16(keyVersion);`);
    cw.line(`encode${p.key.name}(kw, rec.key, keyVersion);`);
    cw.line(`if (rec.value === null) return { key: kw.finish(), value: null };`);
    cw.line(`const valueVersion = rec.valueVersion ?? ${p.value.validVersions.hi};`);
    cw.line(`const vw = new Writer().int16(valueVersion);`);
    cw.line(`encode${p.value.name}(vw, rec.value, valueVersion);`);
    cw.line(`return { key: kw.finish(), value: vw.finish() };`);
    cw.close();
  }
  cw.close();
  cw.close();
  cw.line();
  cw.line(`/** Decodes a ${c.topic} record; an unknown record type or version is a ProtocolDecodeError. */`);
  cw.open(`export function decode${n}Record(key: Buffer, value: Buffer | null): ${n}Record`);
  cw.line('const kr = new Reader(key);');
  cw.line('const keyVersion = kr.int16();');
  cw.line('const vr = value === null ? null : new Reader(value);');
  cw.line('const valueVersion = vr === null ? null : vr.int16();');
  cw.open('switch (keyVersion)');
  for (const p of ps) {
    const cases: string[] = [];
    for (let v = p.key.validVersions.lo; v <= p.key.validVersions.hi; v++) cases.push(`case ${v}:`);
    if (cases.length > 1) cw.line(cases.slice(0, -1).join(' '));
    cw.open(cases[cases.length - 1]!);
    cw.line(`const k = decode${p.key.name}(kr, keyVersion);`);
    cw.line(`const v = vr === null ? null : decode${p.value.name}(vr, valueVersion!);`);
    cw.line(`return { type: '${p.type}', keyVersion, key: k, valueVersion, value: v };`);
    cw.close();
  }
  cw.line('default:');
  cw.line(`  return kr.fail(\`unknown ${c.topic} record type \${keyVersion}\`);`);
  cw.close();
  cw.close();
  cw.line();
}

export function emitCoordinatorRecords(messages: readonly MessageSpec[]): string | null {
  const all = COORDINATORS.map((c) => ({ c, ps: pairs(messages, c.folder) })).filter((x) => x.ps.length > 0);
  if (all.length === 0) return null;
  const cw = new CodeWriter();
  cw.line(GENERATED_HEADER);
  cw.line('// Coordinator record framing, as Kafka\'s CoordinatorRecordSerde:');
  cw.line('//   key   = int16 record type (the key\'s version) + key body');
  cw.line('//   value = int16 value version + value body, or null (tombstone)');
  cw.line();
  cw.line(`import { Reader } from '../../primitives/reader.ts';`);
  cw.line(`import { Writer } from '../../primitives/writer.ts';`);
  for (const { ps } of all) {
    for (const p of ps) {
      for (const m of [p.key, p.value]) {
        cw.line(`import { decode${m.name}, encode${m.name}, type ${m.name}, type ${m.name}Init } from './${kebabCase(m.name)}.ts';`);
      }
    }
  }
  cw.line();
  for (const { c, ps } of all) emitCoordinator(cw, c, ps);
  return cw.toString().replace(/\n+$/, '\n');
}

export function emitMetadataRecords(messages: readonly MessageSpec[]): string | null {
  const records = messages.filter((m) => m.kind === 'metadata').sort((a, b) => a.apiKey! - b.apiKey!);
  if (records.length === 0) return null;
  const seen = new Set<number>();
  for (const m of records) {
    if (seen.has(m.apiKey!)) throw new Error(`${m.source}: metadata apiKey ${m.apiKey} used twice`);
    seen.add(m.apiKey!);
  }
  const cw = new CodeWriter();
  cw.line(GENERATED_HEADER);
  cw.line('// KRaft metadata record framing, as Kafka\'s MetadataRecordSerde (AbstractApiMessageSerde):');
  cw.line('//   uvarint frame version (1) | uvarint record type (apiKey) | uvarint version | body');
  cw.line();
  cw.line(`import { Reader } from '../../primitives/reader.ts';`);
  cw.line(`import { Writer } from '../../primitives/writer.ts';`);
  for (const m of records) {
    cw.line(`import { decode${m.name}, encode${m.name}, type ${m.name}, type ${m.name}Init } from './${kebabCase(m.name)}.ts';`);
  }
  cw.line();
  cw.line('/** The only frame version Kafka writes and reads (0 was the 2.8 KRaft preview). */');
  cw.line('export const METADATA_FRAME_VERSION = 1;');
  cw.line();
  cw.line('/** Metadata record types (apiKeys) by record name. */');
  cw.open('export const MetadataRecordType =');
  for (const m of records) cw.line(`${m.name}: ${m.apiKey},`);
  cw.close('} as const;');
  cw.line();
  cw.line('/** A decoded metadata record. */');
  cw.line('export type MetadataRecord =');
  for (const m of records) {
    cw.line(`  | { readonly type: '${m.name}'; readonly version: number; readonly record: ${m.name} }`);
  }
  cw.line('  ;');
  cw.line();
  cw.line('/** A metadata record to encode; the version defaults to the newest. */');
  cw.line('export type MetadataRecordInit =');
  for (const m of records) {
    cw.line(`  | { readonly type: '${m.name}'; readonly version?: number; readonly record: ${m.name}Init }`);
  }
  cw.line('  ;');
  cw.line();
  cw.line('/** Writes a framed metadata record (the value of a record in the metadata log). */');
  cw.open('export function writeMetadataRecord(w: Writer, rec: MetadataRecordInit): void');
  cw.line('w.unsignedVarint(METADATA_FRAME_VERSION);');
  cw.open('switch (rec.type)');
  for (const m of records) {
    cw.open(`case '${m.name}':`);
    cw.line(`const version = rec.version ?? ${m.validVersions.hi};`);
    cw.line(`w.unsignedVarint(${m.apiKey}).unsignedVarint(version);`);
    cw.line(`encode${m.name}(w, rec.record, version);`);
    cw.line('return;');
    cw.close();
  }
  cw.close();
  cw.close();
  cw.line();
  cw.open('export function encodeMetadataRecord(rec: MetadataRecordInit): Buffer');
  cw.line('const w = new Writer();');
  cw.line('writeMetadataRecord(w, rec);');
  cw.line('return w.finish();');
  cw.close();
  cw.line();
  cw.line('/** Decodes a framed metadata record; trailing bytes are an error, as in Kafka. */');
  cw.open('export function decodeMetadataRecord(buf: Buffer): MetadataRecord');
  cw.line('const r = new Reader(buf);');
  cw.line('const frameVersion = r.unsignedVarint();');
  cw.line('if (frameVersion !== METADATA_FRAME_VERSION) r.fail(`unsupported metadata frame version ${frameVersion}`);');
  cw.line('const apiKey = r.unsignedVarint();');
  cw.line('const version = r.unsignedVarint();');
  cw.line('let rec: MetadataRecord;');
  cw.open('switch (apiKey)');
  for (const m of records) {
    cw.line(`case ${m.apiKey}: rec = { type: '${m.name}', version, record: decode${m.name}(r, version) }; break;`);
  }
  cw.line('default: return r.fail(`unknown metadata record type ${apiKey}`);');
  cw.close();
  cw.line('if (r.remaining !== 0) r.fail(`${r.remaining} bytes of garbage after a ${rec.type}`);');
  cw.line('return rec;');
  cw.close();
  return cw.toString();
}
