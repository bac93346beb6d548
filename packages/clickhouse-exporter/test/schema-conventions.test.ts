/**
 * The SQL spells attribute, event and enum names as literals; this keeps
 * them in step with `@agenttrace/sdk`'s conventions, where they are defined.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { conventions } from '@agenttrace/sdk';

const SCHEMA = new URL('../src/schema/', import.meta.url);

function schemaText(): string {
  const files = [
    ...readdirSync(SCHEMA).filter((f) => f.endsWith('.sql')),
    ...readdirSync(new URL('fragments/', SCHEMA)).map((f) => `fragments/${f}`),
  ];
  return files.map((f) => readFileSync(new URL(f, SCHEMA), 'utf8')).join('\n');
}

const known = new Set(
  Object.values(conventions).flatMap((v: unknown) =>
    typeof v === 'string'
      ? [v]
      : Array.isArray(v)
        ? v.filter((x) => typeof x === 'string')
        : typeof v === 'object' && v !== null
          ? Object.values(v).filter((x) => typeof x === 'string')
          : [],
  ),
);

describe('schema and SDK conventions', () => {
  it('reads only attribute names the SDK conventions define', () => {
    const used = new Set(
      [...schemaText().matchAll(/(?:Attributes|first_event|event\.2)\['([^']+)'\]/g)].map(
        (m) => m[1] ?? '',
      ),
    );
    expect(used.size).toBeGreaterThan(30);
    expect([...used].filter((name) => !known.has(name))).toEqual([]);
  });

  it('knows every step type, run status and failure type the SDK writes', () => {
    const text = schemaText();
    for (const type of ['tool', 'model', 'retrieve'])
      expect(text).toContain(`step_type = '${type}'`);
    for (const status of conventions.RUN_STATUSES) expect(text).toContain(`'${status}'`);
    for (const type of conventions.FAILURE_TYPES) expect(text).toContain(`'${type}'`);
    const rules = readFileSync(new URL('fragments/failure_code_v1.sql', SCHEMA), 'utf8');
    const codes = [...rules.matchAll(/, '([a-z_]+)',?\n/g)].map((m) => m[1]);
    expect(codes.length).toBeGreaterThan(10);
    expect(
      codes.filter(
        (code) => !(conventions.FAILURE_CODES as readonly string[]).includes(code ?? ''),
      ),
    ).toEqual([]);
    expect(text).toContain(`'${conventions.EVENT_FAILURE}'`);
    expect(text).toContain(`'${conventions.OPERATION.invokeAgent}'`);
  });
});
