/**
 * The spec model: Kafka's JSON message definitions, parsed and validated into a
 * shape the emitters can walk without looking at raw JSON again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseJsonWithComments } from './json.ts';
import { camelCase } from './names.ts';
import { type VersionRange, parseVersions, intersect, hull, subtract, covers, format } from './versions.ts';

export const PRIMITIVES = [
  'bool', 'int8', 'int16', 'int32', 'int64', 'uint16', 'uint32', 'float64',
  'string', 'bytes', 'uuid', 'records',
] as const;
export type PrimitiveName = (typeof PRIMITIVES)[number];

export type ElementType =
  | { readonly kind: 'primitive'; readonly name: PrimitiveName }
  | { readonly kind: 'struct'; readonly struct: StructSpec };

export type FieldType = ElementType | { readonly kind: 'array'; readonly element: ElementType };

/** A field's default, already checked against its type. */
export type DefaultValue =
  | { readonly kind: 'null' }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'bigint'; readonly value: bigint }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'string'; readonly value: string }
  /** Empty array, empty bytes, or a struct of defaults. */
  | { readonly kind: 'empty' };

export interface FieldSpec {
  readonly name: string;
  /** The TypeScript property name. */
  readonly prop: string;
  readonly type: FieldType;
  readonly versions: VersionRange | null;
  readonly nullableVersions: VersionRange | null;
  readonly taggedVersions: VersionRange | null;
  readonly tag: number | null;
  readonly ignorable: boolean;
  readonly defaultValue: DefaultValue;
  readonly about: string;
  /** A per-field override of the message's flexible versions (RequestHeader.ClientId). */
  readonly flexibleVersions: VersionRange | null | undefined;
}

export interface StructSpec {
  readonly name: string;
  /** Exported TypeScript name: the message name for the root, message + struct name otherwise. */
  readonly typeName: string;
  readonly fields: FieldSpec[];
  /** The versions this struct's codec can be called for. */
  versions: VersionRange | null;
  readonly isRoot: boolean;
}

export type MessageKind = 'request' | 'response' | 'header' | 'data' | 'metadata';

export interface MessageSpec {
  /** Path relative to the spec dir, e.g. clients/ProduceRequest.json. */
  readonly source: string;
  /** The spec folder: clients, metadata, group-coordinator, ... */
  readonly folder: string;
  readonly name: string;
  readonly kind: MessageKind;
  readonly apiKey: number | null;
  readonly validVersions: VersionRange;
  readonly flexibleVersions: VersionRange | null;
  readonly deprecatedVersions: VersionRange | null;
  readonly listeners: readonly string[];
  readonly latestVersionUnstable: boolean;
  readonly root: StructSpec;
  /** Every struct except the root, parents before children. */
  readonly structs: StructSpec[];
}

interface RawField {
  name?: unknown; type?: unknown; versions?: unknown; nullableVersions?: unknown;
  taggedVersions?: unknown; tag?: unknown; ignorable?: unknown; default?: unknown;
  about?: unknown; fields?: unknown; flexibleVersions?: unknown; mapKey?: unknown;
  entityType?: unknown; zeroCopy?: unknown;
}

interface RawMessage {
  apiKey?: unknown; type?: unknown; name?: unknown; validVersions?: unknown;
  flexibleVersions?: unknown; deprecatedVersions?: unknown; listeners?: unknown;
  latestVersionUnstable?: unknown; fields?: unknown; commonStructs?: unknown;
}

const KNOWN_FIELD_KEYS = new Set([
  'name', 'type', 'versions', 'nullableVersions', 'taggedVersions', 'tag', 'ignorable',
  'default', 'about', 'fields', 'flexibleVersions', 'mapKey', 'entityType', 'zeroCopy',
]);
const KNOWN_MESSAGE_KEYS = new Set([
  'apiKey', 'type', 'name', 'validVersions', 'flexibleVersions', 'deprecatedVersions',
  'listeners', 'latestVersionUnstable', 'fields', 'commonStructs',
]);

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Error(`${what}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function isPrimitive(t: string): t is PrimitiveName {
  return (PRIMITIVES as readonly string[]).includes(t);
}

class MessageParser {
  readonly source: string;
  readonly messageName: string;
  readonly flexibleVersions: VersionRange | null;
  readonly structs: StructSpec[] = [];
  readonly structNames = new Set<string>();
  readonly common = new Map<string, { raw: RawField[]; spec: StructSpec | null }>();

  constructor(source: string, messageName: string, flexibleVersions: VersionRange | null) {
    this.source = source;
    this.messageName = messageName;
    this.flexibleVersions = flexibleVersions;
  }

  where(path: string): string {
    return `${this.source}: ${path}`;
  }

  /** Parses the fields of a struct; versions are assigned later (assignContexts). */
  parseStruct(name: string, rawFields: unknown, ctx: VersionRange | null, isRoot: boolean): StructSpec {
    if (!Array.isArray(rawFields)) throw new Error(this.where(`${name}: fields must be an array`));
    if (!isRoot) {
      if (this.structNames.has(name)) throw new Error(this.where(`struct ${name} is defined twice`));
      this.structNames.add(name);
    }
    const spec: StructSpec = {
      name,
      typeName: isRoot ? name : this.messageName + name,
      fields: [],
      versions: ctx,
      isRoot,
    };
    if (!isRoot) this.structs.push(spec);
    const props = new Set<string>();
    const tags = new Set<number>();
    for (const raw of rawFields as RawField[]) {
      const field = this.parseField(name, raw);
      if (props.has(field.prop)) throw new Error(this.where(`${name}.${field.name}: duplicate field name`));
      props.add(field.prop);
      if (field.tag !== null) {
        if (tags.has(field.tag)) throw new Error(this.where(`${name}.${field.name}: duplicate tag ${field.tag}`));
        tags.add(field.tag);
      }
      spec.fields.push(field);
    }
    return spec;
  }

  parseField(structName: string, raw: RawField): FieldSpec {
    const name = str(raw.name, this.where(`${structName}: field name`));
    const what = this.where(`${structName}.${name}`);
    for (const k of Object.keys(raw)) {
      if (!KNOWN_FIELD_KEYS.has(k)) throw new Error(`${what}: unknown key "${k}"`);
    }
    const typeText = str(raw.type, `${what}: type`);
    const taggedVersions = raw.taggedVersions === undefined ? null : parseVersions(str(raw.taggedVersions, what), what);
    let versions: VersionRange | null;
    if (raw.versions === undefined) {
      if (taggedVersions === null) throw new Error(`${what}: no versions`);
      versions = taggedVersions;
    } else {
      versions = parseVersions(str(raw.versions, what), what);
    }
    const nullableVersions = raw.nullableVersions === undefined ? null : parseVersions(str(raw.nullableVersions, what), what);
    let tag: number | null = null;
    if (raw.tag !== undefined) {
      // Kafka accepts the tag as a number or a numeric string ("tag": "0").
      const t = typeof raw.tag === 'string' && /^\d+$/.test(raw.tag) ? Number(raw.tag) : raw.tag;
      if (typeof t !== 'number' || !Number.isInteger(t) || t < 0) throw new Error(`${what}: bad tag`);
      tag = t;
    }
    if ((tag === null) !== (taggedVersions === null)) throw new Error(`${what}: tag and taggedVersions go together`);
    if (taggedVersions !== null) {
      if (taggedVersions.hi !== Infinity) throw new Error(`${what}: taggedVersions must be open-ended`);
      if (!covers(versions, taggedVersions)) throw new Error(`${what}: taggedVersions outside versions`);
      if (!covers(this.flexibleVersions, taggedVersions)) throw new Error(`${what}: tagged in non-flexible versions`);
    }
    const flexibleVersions = raw.flexibleVersions === undefined
      ? undefined
      : parseVersions(str(raw.flexibleVersions, what), what);

    let type: FieldType;
    const isArray = typeText.startsWith('[]');
    const base = isArray ? typeText.slice(2) : typeText;
    let element: ElementType;
    if (isPrimitive(base)) {
      if (raw.fields !== undefined) throw new Error(`${what}: a ${base} field has no fields`);
      element = { kind: 'primitive', name: base };
    } else {
      if (!/^[A-Z][A-Za-z0-9]*$/.test(base)) throw new Error(`${what}: unknown type ${typeText}`);
      let struct: StructSpec;
      if (raw.fields !== undefined) {
        struct = this.parseStruct(base, raw.fields, null, false);
      } else {
        const common = this.common.get(base);
        if (common === undefined) throw new Error(`${what}: struct ${base} has no fields and is not a common struct`);
        if (common.spec === null) common.spec = this.parseStruct(base, common.raw, null, false);
        struct = common.spec;
      }
      element = { kind: 'struct', struct };
    }
    if (isArray && element.kind === 'primitive' && element.name === 'records') throw new Error(`${what}: []records`);
    type = isArray ? { kind: 'array', element } : element;

    if (nullableVersions !== null) {
      const ok = isArray || element.kind === 'struct' || ['string', 'bytes', 'records'].includes(base);
      if (!ok) throw new Error(`${what}: type ${typeText} cannot be nullable`);
    }
    const defaultValue = parseDefault(raw.default, type, nullableVersions, what);
    return {
      name,
      prop: camelCase(name),
      type,
      versions,
      nullableVersions: intersect(nullableVersions, versions),
      taggedVersions,
      tag,
      ignorable: raw.ignorable === true,
      defaultValue,
      about: typeof raw.about === 'string' ? raw.about : '',
      flexibleVersions,
    };
  }
}

/**
 * A struct's codec runs for the union (hull) of the versions of every field that
 * holds it, within its parent's versions. Computed after parsing because common
 * structs are shared.
 */
function assignContexts(struct: StructSpec, ctx: VersionRange | null): void {
  if (ctx === null) return;
  if (struct.versions !== null && covers(struct.versions, ctx)) return;
  struct.versions = hull(struct.versions, ctx);
  for (const f of struct.fields) {
    const t = f.type.kind === 'array' ? f.type.element : f.type;
    if (t.kind === 'struct') assignContexts(t.struct, intersect(f.versions, struct.versions));
  }
}

function parseDefault(raw: unknown, type: FieldType, nullable: VersionRange | null, what: string): DefaultValue {
  if (raw === undefined || raw === '') {
    if (raw === '' && type.kind === 'primitive' && type.name === 'string') return { kind: 'string', value: '' };
    if (raw === '' && !(type.kind === 'primitive' && type.name === 'string')) throw new Error(`${what}: empty default`);
    if (type.kind !== 'primitive') return { kind: 'empty' };
    switch (type.name) {
      case 'bool': return { kind: 'bool', value: false };
      case 'int64': return { kind: 'bigint', value: 0n };
      case 'string': return { kind: 'string', value: '' };
      case 'uuid': return { kind: 'string', value: 'AAAAAAAAAAAAAAAAAAAAAA' };
      // Kafka's default for records is null; where records are not nullable, empty.
      case 'records': return nullable !== null ? { kind: 'null' } : { kind: 'empty' };
      case 'bytes': return { kind: 'empty' };
      default: return { kind: 'number', value: 0 };
    }
  }
  if (raw === null || raw === 'null') {
    if (nullable === null) throw new Error(`${what}: default null on a non-nullable field`);
    return { kind: 'null' };
  }
  if (type.kind !== 'primitive') throw new Error(`${what}: arrays and structs only default to null`);
  const text = typeof raw === 'string' ? raw : String(raw);
  switch (type.name) {
    case 'bool':
      if (text !== 'true' && text !== 'false') throw new Error(`${what}: bad bool default ${text}`);
      return { kind: 'bool', value: text === 'true' };
    case 'int8': case 'int16': case 'int32': case 'uint16': case 'uint32': {
      const n = Number(text);
      if (!Number.isInteger(n)) throw new Error(`${what}: bad integer default ${text}`);
      const [lo, hi] = ({ int8: [-128, 127], int16: [-32768, 32767], int32: [-(2 ** 31), 2 ** 31 - 1], uint16: [0, 65535], uint32: [0, 2 ** 32 - 1] } as const)[type.name];
      if (n < lo || n > hi) throw new Error(`${what}: default ${text} out of range`);
      return { kind: 'number', value: n };
    }
    case 'int64': {
      let v: bigint;
      try {
        v = text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text);
      } catch {
        throw new Error(`${what}: bad int64 default ${text}`);
      }
      return { kind: 'bigint', value: v };
    }
    case 'float64': {
      const n = Number(text);
      if (Number.isNaN(n) && text !== 'NaN') throw new Error(`${what}: bad float default ${text}`);
      return { kind: 'number', value: n };
    }
    case 'string':
      return { kind: 'string', value: text };
    case 'uuid':
      if (Buffer.from(text, 'base64url').length !== 16) throw new Error(`${what}: bad uuid default ${text}`);
      return { kind: 'string', value: text };
    default:
      throw new Error(`${what}: ${type.name} has no non-null default`);
  }
}

export function parseMessage(json: unknown, source: string): MessageSpec {
  const raw = json as RawMessage;
  for (const k of Object.keys(raw)) {
    if (!KNOWN_MESSAGE_KEYS.has(k)) throw new Error(`${source}: unknown key "${k}"`);
  }
  const name = str(raw.name, `${source}: name`);
  const kindText = str(raw.type, `${source}: type`);
  if (!['request', 'response', 'header', 'data', 'metadata'].includes(kindText)) {
    throw new Error(`${source}: unknown message type ${kindText}`);
  }
  const kind = kindText as MessageKind;
  const validVersions = parseVersions(str(raw.validVersions, `${source}: validVersions`), source);
  if (validVersions === null || validVersions.hi === Infinity) throw new Error(`${source}: validVersions must be a closed range`);
  const flexibleVersions = parseVersions(str(raw.flexibleVersions, `${source}: flexibleVersions`), source);
  if (flexibleVersions !== null && flexibleVersions.hi !== Infinity) throw new Error(`${source}: flexibleVersions must be open-ended`);
  const deprecatedVersions = raw.deprecatedVersions === undefined ? null : parseVersions(str(raw.deprecatedVersions, source), source);
  let apiKey: number | null = null;
  if (raw.apiKey !== undefined) {
    if (typeof raw.apiKey !== 'number' || !Number.isInteger(raw.apiKey)) throw new Error(`${source}: bad apiKey`);
    apiKey = raw.apiKey;
  }
  if ((kind === 'request' || kind === 'response' || kind === 'metadata') && apiKey === null) {
    throw new Error(`${source}: ${kind} without apiKey`);
  }
  const listeners = Array.isArray(raw.listeners) ? raw.listeners.map((l) => str(l, `${source}: listeners`)) : [];

  const parser = new MessageParser(source, name, flexibleVersions);
  if (raw.commonStructs !== undefined) {
    if (!Array.isArray(raw.commonStructs)) throw new Error(`${source}: commonStructs must be an array`);
    for (const c of raw.commonStructs as RawField[]) {
      const cname = str(c.name, `${source}: common struct name`);
      parser.common.set(cname, { raw: c.fields as RawField[], spec: null });
    }
  }
  const root = parser.parseStruct(name, raw.fields, null, true);
  // Common structs nobody references still get types (and a codec for every version).
  for (const [cname, c] of parser.common) {
    if (c.spec === null) c.spec = parser.parseStruct(cname, c.raw, null, false);
  }
  assignContexts(root, validVersions);
  for (const s of parser.structs) {
    if (s.versions === null) assignContexts(s, validVersions);
  }
  return {
    source,
    folder: source.split('/')[0]!,
    name,
    kind,
    apiKey,
    validVersions,
    flexibleVersions,
    deprecatedVersions,
    listeners,
    latestVersionUnstable: raw.latestVersionUnstable === true,
    root,
    structs: parser.structs,
  };
}

export const SPEC_FOLDERS = [
  'clients', 'group-coordinator', 'transaction-coordinator', 'metadata', 'raft', 'share-coordinator',
] as const;

/** Reads every spec under `specDir`, sorted by folder then file name. */
export function loadSpecs(specDir: string): MessageSpec[] {
  const out: MessageSpec[] = [];
  for (const folder of SPEC_FOLDERS) {
    const dir = path.join(specDir, folder);
    if (!fs.existsSync(dir)) continue;
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
      const source = `${folder}/${file}`;
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      out.push(parseMessage(parseJsonWithComments(text, source), source));
    }
  }
  return out;
}

/** The versions in which a field is encoded as a regular (not tagged) field, within ctx. */
export function untaggedVersions(f: FieldSpec, ctx: VersionRange | null): VersionRange | null {
  return subtract(intersect(f.versions, ctx), f.taggedVersions);
}

export function taggedVersionsIn(f: FieldSpec, ctx: VersionRange | null): VersionRange | null {
  return intersect(intersect(f.taggedVersions, f.versions), ctx);
}

export { format as formatVersions };
