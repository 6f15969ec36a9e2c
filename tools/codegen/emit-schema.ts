/**
 * Emits generated/schemas.ts: a compact description of every message (fields,
 * versions, defaults) for property tests and fuzzers to walk. Not re-exported
 * from the public index.
 */
import { CodeWriter } from './code-writer.ts';
import { quote } from './names.ts';
import { GENERATED_HEADER } from './emit-message.ts';
import type { FieldSpec, MessageSpec, StructSpec } from './spec.ts';
import { type VersionRange, intersect } from './versions.ts';

function span(r: VersionRange | null, valid: VersionRange): string {
  const i = intersect(r, valid);
  return i === null ? 'null' : `[${i.lo}, ${i.hi}]`;
}

function defaultText(f: FieldSpec): string | null {
  const d = f.defaultValue;
  switch (d.kind) {
    case 'empty': return null;
    case 'null': return 'null';
    case 'bigint': return `${d.value}n`;
    case 'string': return quote(d.value);
    default: return String(d.value);
  }
}

export function emitSchemas(messages: readonly MessageSpec[]): string {
  const cw = new CodeWriter();
  cw.line(GENERATED_HEADER);
  cw.line('// A compact description of every generated message, for property tests and fuzzers.');
  cw.line();
  cw.line('/** Inclusive version span, already clipped to the message\'s valid versions. */');
  cw.line('export type VersionSpan = readonly [number, number];');
  cw.line();
  cw.open('export interface FieldSchema');
  cw.line('/** The TypeScript property name. */');
  cw.line('readonly name: string;');
  cw.line('/** A primitive type name, \'struct\' or \'array\'. */');
  cw.line('readonly type: string;');
  cw.line('/** For arrays: the element\'s primitive type name or \'struct\'. */');
  cw.line('readonly element?: string;');
  cw.line('readonly struct?: StructSchema;');
  cw.line('readonly versions: VersionSpan | null;');
  cw.line('readonly nullableVersions: VersionSpan | null;');
  cw.line('readonly taggedVersions: VersionSpan | null;');
  cw.line('readonly tag: number | null;');
  cw.line('readonly ignorable: boolean;');
  cw.line('/** A per-field override of the message\'s flexible versions. */');
  cw.line('readonly flexibleVersions?: VersionSpan | null;');
  cw.line('/** The default; absent means the type\'s empty value (0, \'\', [], empty bytes, a struct of defaults). */');
  cw.line('readonly default?: null | number | bigint | boolean | string;');
  cw.close();
  cw.line();
  cw.open('export interface StructSchema');
  cw.line('readonly name: string;');
  cw.line('readonly fields: readonly FieldSchema[];');
  cw.close();
  cw.line();
  cw.open('export interface MessageSchema');
  cw.line('readonly name: string;');
  cw.line('readonly source: string;');
  cw.line('readonly kind: \'request\' | \'response\' | \'header\' | \'data\' | \'metadata\';');
  cw.line('readonly apiKey: number | null;');
  cw.line('readonly validVersions: VersionSpan;');
  cw.line('readonly flexibleVersions: VersionSpan | null;');
  cw.line('readonly root: StructSchema;');
  cw.close();
  cw.line();

  const names = new Map<StructSpec, string>();
  let counter = 0;
  const emitStruct = (m: MessageSpec, s: StructSpec): string => {
    const known = names.get(s);
    if (known !== undefined) return known;
    for (const f of s.fields) {
      const t = f.type.kind === 'array' ? f.type.element : f.type;
      if (t.kind === 'struct') emitStruct(m, t.struct);
    }
    const id = `s${counter++}`;
    names.set(s, id);
    cw.open(`const ${id}: StructSchema =`);
    cw.line(`name: '${s.typeName}',`);
    cw.openRaw('fields: [');
    for (const f of s.fields) {
      const parts: string[] = [`name: '${f.prop}'`];
      const t = f.type;
      if (t.kind === 'array') {
        parts.push(`type: 'array'`);
        parts.push(`element: '${t.element.kind === 'struct' ? 'struct' : t.element.name}'`);
        if (t.element.kind === 'struct') parts.push(`struct: ${names.get(t.element.struct)}`);
      } else if (t.kind === 'struct') {
        parts.push(`type: 'struct'`, `struct: ${names.get(t.struct)}`);
      } else {
        parts.push(`type: '${t.name}'`);
      }
      parts.push(`versions: ${span(f.versions, m.validVersions)}`);
      parts.push(`nullableVersions: ${span(f.nullableVersions, m.validVersions)}`);
      parts.push(`taggedVersions: ${span(f.taggedVersions, m.validVersions)}`);
      parts.push(`tag: ${f.tag}`);
      parts.push(`ignorable: ${f.ignorable}`);
      if (f.flexibleVersions !== undefined) parts.push(`flexibleVersions: ${span(f.flexibleVersions, m.validVersions)}`);
      const d = defaultText(f);
      if (d !== null) parts.push(`default: ${d}`);
      cw.line(`{ ${parts.join(', ')} },`);
    }
    cw.close('],');
    cw.close('};');
    return id;
  };

  const roots: string[] = [];
  for (const m of messages) {
    for (const s of m.structs) emitStruct(m, s);
    const root = emitStruct(m, m.root);
    const flex = m.flexibleVersions === null ? 'null' : span(m.flexibleVersions, m.validVersions);
    roots.push(
      `{ name: '${m.name}', source: '${m.source}', kind: '${m.kind}', apiKey: ${m.apiKey}, ` +
        `validVersions: [${m.validVersions.lo}, ${m.validVersions.hi}], flexibleVersions: ${flex}, root: ${root} },`,
    );
  }
  cw.line();
  cw.openRaw('export const MESSAGE_SCHEMAS: readonly MessageSchema[] = [');
  for (const r of roots) cw.line(r);
  cw.close('];');
  return cw.toString();
}
