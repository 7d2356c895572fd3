// Test helper: compares cryo's decoded images with crit's (CRIU's python decoder), entry by
// entry and field by field. crit's `--pretty` output is normalised like this (rules and tables
// come from CRIU's own descriptors and pb2dict at test time, see testdata/crit-oracle.py):
//  - presence: crit lists the fields python's ListFields() reports (set proto2 fields, non-empty
//    repeated fields); cryo's side uses protobuf-es isFieldSet(). Both must agree on every field.
//  - integers: compared as decimal strings (the oracle prints values beyond 2^53 as strings).
//  - fields crit prints specially are rendered from cryo's raw value by the same rule: (criu).hex
//    (inherited by nested messages) -> "0x%x"; dev -> "major:minor" (new or old encoding);
//    flags -> "NAME | NAME | 0xrest" with pb2dict's table; dict -> pb2dict's name for the value;
//    ipadd repeated words -> one IPv4/IPv6 string (python ipaddress `compressed`).
//  - enums: by value name; bytes: crit's base64 (or quoted-printable for `conv: unix_name`) is
//    decoded and compared byte for byte; raw payload after an entry (crit's `extra`) likewise.
// Every difference is returned; none is dropped.

import { createRegistry, isFieldSet, type DescField, type DescMessage, type Message } from '@bufbuild/protobuf';
import type { GenFile } from '@bufbuild/protobuf/codegenv2';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { critOracle } from './_image-workloads.js';
import { decodeImage, type DecodedImage } from './decode-image.js';
import { ImagesDir } from './images-dir.js';

/** What crit-oracle.py prints besides the images. */
export interface CritRules {
  readonly rules: Record<string, Record<string, { hex?: boolean; ipadd?: boolean; flags?: string; dev?: boolean; odev?: boolean; dict?: string; conv?: string }>>;
  readonly flagsMaps: Record<string, [string, number][]>;
  readonly dictMaps: Record<string, Record<string, Record<string, string>>>;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A registry of every generated image schema, to find a decoded message's descriptor. */
export async function loadSchemas(): Promise<(typeName: string) => DescMessage> {
  const genDir = new URL('../gen/criu/images/', import.meta.url);
  const files: GenFile[] = [];
  for (const f of readdirSync(genDir).filter((n) => n.endsWith('_pb.js'))) {
    const mod = (await import(new URL(f, genDir).href)) as Record<string, unknown>;
    for (const [k, v] of Object.entries(mod)) if (k.startsWith('file_')) files.push(v as GenFile);
  }
  const reg = createRegistry(...files);
  return (typeName) => {
    const d = reg.getMessage(typeName);
    if (!d) throw new Error(`no schema ${typeName}`);
    return d;
  };
}

const SHORT = 'cryo.criu.images.';

function decodeQuopri(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '=' && s[i + 1] === '\n') { i++; continue; }
    if (s[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) { out.push(parseInt(s.slice(i + 1, i + 3), 16)); i += 2; continue; }
    out.push(s.charCodeAt(i));
  }
  return Buffer.from(out);
}

function pyIp(words: readonly number[]): string {
  const b = Buffer.alloc(16);
  if (words.length === 1) {
    b.writeUInt32LE(words[0]! >>> 0, 0);
    return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  }
  for (let i = 0; i < 4; i++) b.writeUInt32LE(words[i]! >>> 0, i * 4);
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(b.readUInt16BE(i));
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const h = g.map((x) => x.toString(16));
  if (bestLen < 2) return h.join(':');
  return `${h.slice(0, best).join(':')}::${h.slice(best + bestLen).join(':')}`;
}

function devString(v: bigint, old: boolean): string {
  if (!old) return `${v >> 20n}:${v & 0xfffffn}`;
  const major = ((v >> 8n) & 0xfffn) | ((v >> 32n) & ~0xfffn);
  const minor = (v & 0xffn) | ((v >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/** Compares one message with crit's dict; returns human-readable differences. */
export function compareMessage(ours: Message, crit: Json, schema: DescMessage, r: CritRules, path: string, hex = false): string[] {
  const diffs: string[] = [];
  if (crit === null || typeof crit !== 'object' || Array.isArray(crit)) return [`${path}: crit has ${JSON.stringify(crit)}, cryo a message`];
  const rules = r.rules[schema.typeName.slice(SHORT.length)] ?? {};
  const known = new Set(schema.fields.map((f) => f.name));
  for (const k of Object.keys(crit)) if (!known.has(k)) diffs.push(`${path}.${k}: only crit has this field`);
  for (const f of schema.fields) {
    const p = `${path}.${f.name}`;
    const present = isFieldSet(ours, f);
    if (present !== f.name in crit) {
      diffs.push(`${p}: ${present ? 'only cryo' : 'only crit'} has it (crit: ${JSON.stringify(crit[f.name])})`);
      continue;
    }
    if (!present) continue;
    const value = (ours as unknown as Record<string, unknown>)[f.localName];
    const rule = rules[f.name] ?? {};
    const c = crit[f.name]!;
    if (f.fieldKind === 'list') {
      const list = value as unknown[];
      if (rule.ipadd) {
        const want = [pyIp(list as number[])];
        if (JSON.stringify(want) !== JSON.stringify(c)) diffs.push(`${p}: cryo ${JSON.stringify(want)} crit ${JSON.stringify(c)}`);
        continue;
      }
      if (!Array.isArray(c) || c.length !== list.length) {
        diffs.push(`${p}: cryo has ${list.length} items, crit ${Array.isArray(c) ? c.length : JSON.stringify(c)}`);
        continue;
      }
      list.forEach((v, i) => diffs.push(...compareValue(f, v, c[i]!, rule, r, `${p}[${i}]`, hex)));
    } else {
      diffs.push(...compareValue(f, value, c, rule, r, p, hex));
    }
  }
  return diffs;
}

function compareValue(f: DescField, v: unknown, c: Json, rule: CritRules['rules'][string][string], r: CritRules, p: string, parentHex: boolean): string[] {
  const hex = parentHex || rule.hex === true;
  const msg = f.fieldKind === 'message' || (f.fieldKind === 'list' && f.listKind === 'message') ? f.message : undefined;
  if (msg) return compareMessage(v as Message, c, msg, r, p, hex);
  const en = f.fieldKind === 'enum' || (f.fieldKind === 'list' && f.listKind === 'enum') ? f.enum : undefined;
  let want: Json;
  if (en) {
    want = en.values.find((x) => x.number === v)?.name ?? null;
  } else if (v instanceof Uint8Array) {
    const got = typeof c === 'string' ? (rule.conv === 'unix_name' ? decodeQuopri(c) : Buffer.from(c, 'base64')) : null;
    return got !== null && Buffer.from(v).equals(got) ? [] : [`${p}: bytes differ (cryo ${Buffer.from(v).toString('hex')}, crit ${JSON.stringify(c)})`];
  } else if (typeof v === 'boolean' || typeof v === 'string') {
    want = v;
  } else {
    const n = BigInt(v as number | bigint);
    if (hex) want = `0x${n.toString(16)}`;
    else if (rule.dev) want = devString(n, rule.odev === true);
    else if (rule.flags) {
      const map = r.flagsMaps[rule.flags];
      if (!map) want = `0x${n.toString(16)}`;
      else {
        const names = map.filter(([, bit]) => (n & BigInt(bit)) !== 0n).map(([name]) => name);
        const rest = n & ~map.reduce((a, [, bit]) => a | BigInt(bit), 0n);
        if (rest !== 0n) names.push(`0x${rest.toString(16)}`);
        want = names.join(' | ');
      }
    } else if (rule.dict) want = r.dictMaps[rule.dict]?.[f.name]?.[n.toString()] ?? n.toString();
    else want = n.toString();
    if (typeof c === 'number') c = String(c);
  }
  return JSON.stringify(want) === JSON.stringify(c) ? [] : [`${p}: cryo ${JSON.stringify(want)} crit ${JSON.stringify(c)}`];
}

/** Compares a whole decoded image with crit's `{magic, entries}`; payloads included. */
export function compareImage(ours: DecodedImage, crit: { magic: string; entries: Json[] }, bytes: Uint8Array,
  schemaOf: (t: string) => DescMessage, r: CritRules): string[] {
  const diffs: string[] = [];
  if (crit.magic !== ours.type) diffs.push(`${ours.file}: type cryo ${ours.type} crit ${crit.magic}`);
  if (crit.entries.length !== ours.entries.length) {
    diffs.push(`${ours.file}: cryo ${ours.entries.length} entries, crit ${crit.entries.length}`);
    return diffs;
  }
  ours.entries.forEach((e, i) => {
    const c = crit.entries[i] as Record<string, Json>;
    const path = `${ours.file}[${i}]`;
    const { extra, ...fields } = c;
    diffs.push(...compareMessage(e.message, fields, schemaOf(e.message.$typeName), r, path));
    const payload = e.payload ? Buffer.from(bytes.subarray(e.payload.offset, e.payload.offset + e.payload.length)) : undefined;
    if (extra === undefined) {
      if (payload && payload.length > 0) diffs.push(`${path}: cryo has ${payload.length} payload bytes, crit none`);
    } else if (typeof extra === 'string') {
      // crit reads `size` bytes after every shm entry; when the contents live in pages images there are none.
      const want = Buffer.from(extra, 'base64');
      const got = ours.type === 'IPCNS_SHM' && !payload ? Buffer.alloc(0) : payload;
      if (!got?.equals(want)) diffs.push(`${path}: payload differs from crit's extra`);
    } else if (Array.isArray(extra) && ours.type === 'IPCNS_SEM') {
      // crit: the semaphore values as u16 numbers; cryo: the raw bytes, padded to 8.
      const values = payload ? [...Array(extra.length).keys()].map((k) => payload.readUInt16LE(k * 2)) : [];
      if (JSON.stringify(values) !== JSON.stringify(extra)) diffs.push(`${path}: semaphores cryo ${JSON.stringify(values)} crit ${JSON.stringify(extra)}`);
    } else if (Array.isArray(extra) && ours.type === 'IPCNS_MSG') {
      // crit: [message, base64 data, message, base64 data ...]; cryo: framed children + padded payloads.
      const kids = e.children ?? [];
      if (kids.length * 2 !== extra.length) diffs.push(`${path}: cryo has ${kids.length} queued messages, crit ${extra.length / 2}`);
      kids.forEach((k, n) => {
        diffs.push(...compareMessage(k.message, extra[n * 2]!, schemaOf(k.message.$typeName), r, `${path}.msg[${n}]`));
        const size = Number((k.message as unknown as { msize: number }).msize);
        const data = k.payload ? Buffer.from(bytes.subarray(k.payload.offset, k.payload.offset + size)) : Buffer.alloc(0);
        if (!data.equals(Buffer.from(extra[n * 2 + 1] as string, 'base64'))) diffs.push(`${path}.msg[${n}]: data differs`);
      });
    } else if (extra !== null && typeof extra === 'object' && !Array.isArray(extra) && 'inq' in extra) {
      const q = extra as { inq: string; outq: string };
      const want = Buffer.concat([Buffer.from(q.inq, 'base64'), Buffer.from(q.outq, 'base64')]);
      if (!payload?.equals(want)) diffs.push(`${path}: tcp queue payload differs from crit's extra`);
    }
  });
  return diffs;
}

/** crit's whole answer for one directory. */
export type Oracle = CritRules & { images: Record<string, { image?: { magic: string; entries: Json[] }; error?: string }> };

/** Compares every image file of `dir` with crit; adds each compared image type to `seen`. */
export async function compareDir(dir: string, seen: Set<string>): Promise<string[]> {
  const oracle = JSON.parse(await critOracle(dir)) as Oracle;
  const schemaOf = await loadSchemas();
  const diffs: string[] = [];
  for (const f of ImagesDir.open(dir).files.values()) {
    if (f.kind !== 'image') continue;
    const bytes = readFileSync(join(dir, f.name));
    const ours: DecodedImage = decodeImage(bytes, f.name);
    const crit = oracle.images[f.name];
    if (!crit?.image) {
      diffs.push(`${f.name}: crit could not decode it (${crit?.error ?? 'missing'})`);
      continue;
    }
    seen.add(ours.type);
    diffs.push(...compareImage(ours, crit.image, bytes, schemaOf, oracle));
  }
  return diffs;
}
