import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { codes } from './codes.js';

// fastify-style drift check: every code is documented in docs/errors.md and vice versa.
test('docs/errors.md documents exactly the codes in codes.ts', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const documented = new Set([...doc.matchAll(/^## (CRYO_[A-Z0-9_]+)/gm)].map((m) => m[1]));
  const defined = new Set(Object.keys(codes));
  assert.deepEqual([...defined].filter((c) => !documented.has(c)), [], 'codes missing from docs/errors.md');
  assert.deepEqual([...documented].filter((c) => !defined.has(c as string)), [], 'docs/errors.md lists unknown codes');
});
