/**
 * The protocol code generator.
 *
 *   node tools/codegen/main.ts [--spec-dir DIR] [--check]
 *
 * Reads Kafka's JSON message specs (default ../shared/kafka-protocol from the
 * project root) and writes TypeScript codecs to src/protocol/generated/. With
 * --check, writes nothing and exits 1 when any generated file would change, is
 * missing, or is extra. Without the spec folder, --check prints a notice and
 * passes (a fresh clone builds from the committed output).
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadSpecs } from './spec.ts';
import { generateAll } from './generate.ts';

const projectRoot = path.resolve(import.meta.dirname, '..', '..');
const outDir = path.join(projectRoot, 'src', 'protocol', 'generated');

function parseArgs(argv: readonly string[]): { specDir: string; check: boolean } {
  let specDir = path.resolve(projectRoot, '..', 'shared', 'kafka-protocol');
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--check') check = true;
    else if (a === '--spec-dir') {
      const d = argv[++i];
      if (d === undefined) throw new Error('--spec-dir needs a directory');
      specDir = path.resolve(d);
    } else if (a.startsWith('--spec-dir=')) specDir = path.resolve(a.slice('--spec-dir='.length));
    else throw new Error(`unknown argument ${a}\nusage: node tools/codegen/main.ts [--spec-dir DIR] [--check]`);
  }
  return { specDir, check };
}

function listFiles(dir: string, prefix = ''): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) out.push(...listFiles(path.join(dir, e.name), rel));
    else out.push(rel);
  }
  return out.sort();
}

function main(): number {
  const { specDir, check } = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(specDir)) {
    const msg = `codegen: spec folder ${specDir} not found`;
    if (check) {
      console.log(`${msg}; skipping the up-to-date check.`);
      return 0;
    }
    console.error(msg);
    return 1;
  }
  const files = generateAll(loadSpecs(specDir));
  const existing = new Set(listFiles(outDir));
  const changed: string[] = [];
  const missing: string[] = [];
  for (const [rel, content] of files) {
    if (!existing.has(rel)) missing.push(rel);
    else if (fs.readFileSync(path.join(outDir, rel), 'utf8') !== content) changed.push(rel);
  }
  const extra = [...existing].filter((rel) => !files.has(rel));
  if (check) {
    if (changed.length + missing.length + extra.length === 0) {
      console.log(`codegen: ${files.size} generated files are up to date.`);
      return 0;
    }
    for (const f of changed) console.error(`  changed: ${f}`);
    for (const f of missing) console.error(`  missing: ${f}`);
    for (const f of extra) console.error(`  extra:   ${f}`);
    console.error('codegen: src/protocol/generated is out of date; run `npm run codegen`.');
    return 1;
  }
  for (const rel of [...changed, ...missing]) {
    const p = path.join(outDir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, files.get(rel)!);
  }
  for (const rel of extra) fs.rmSync(path.join(outDir, rel));
  console.log(`codegen: ${files.size} files; ${changed.length} changed, ${missing.length} new, ${extra.length} removed.`);
  return 0;
}

process.exitCode = main();
