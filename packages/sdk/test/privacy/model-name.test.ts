/**
 * Dated model snapshots through the real pipeline: kept under the model keys,
 * with the price key the views compute from them, while phone, card and
 * other numbers in the same fields are still dropped.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { conventions as C, isSafeLabel } from '../../src/index.js';
import { isSafeModelName, maskSnapshotDates } from '../../src/privacy/model-name.js';
import { createPipeline } from '../support/pipeline.js';

const SNAPSHOTS = [
  'claude-sonnet-4-5-20250929',
  'claude-opus-4-1-20250805',
  'claude-3-5-sonnet-20241022',
  'gpt-4.1-2025-04-14',
  'gpt-4o-2024-08-06',
  'gpt-4o-mini-2024-07-18',
  'o3-2025-04-16',
  'claude-3-5-sonnet-v2@20241022',
  'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
];

/** Personal data shaped like a model name, each one the detectors must still catch. */
const PLANTED = [
  'gpt-4o-4155550199',
  'claude-415-555-0199',
  'gpt-4111111111111111',
  'gpt-2025-04-14-4155550199',
  'm-41555501-20250414',
  'claude-19900517-4155550199',
  'jane@example.com-20250929',
  'sk-proj-abcdEFGH1234-20250929',
  'x-2012-03-15-1234',
  '10.1.2.3-20250929',
  'Sm9obiBTbWl0aA-20250929',
];

/** The price-key fragment's regex, read from the schema (the views' own rule). */
function priceKey(model: string): string {
  const sql = readFileSync(
    new URL('../../../clickhouse-exporter/src/schema/fragments/model_key_v1.sql', import.meta.url),
    'utf8',
  );
  const m = /'(-\(latest[^']+)'/.exec(sql);
  if (!m) throw new Error('model_key_v1.sql no longer has its suffix regex');
  const pattern = m[1]!.replace(/\\\\/g, '\\');
  return model.toLowerCase().replace(new RegExp(pattern), '');
}

function exportModel(model: string) {
  const p = createPipeline();
  p.provider
    .getTracer('openllmetry')
    .startSpan(`chat ${model}`, {
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': model,
        'gen_ai.response.model': model,
      },
    })
    .end();
  return p.spans()[0]!;
}

describe('model names with dated snapshots', () => {
  it('needs the date rule: the plain label rule drops these as phone numbers', () => {
    for (const m of ['claude-sonnet-4-5-20250929', 'gpt-4.1-2025-04-14', 'o3-2025-04-16'])
      expect([m, isSafeLabel(m)]).toEqual([m, false]);
  });

  it.each(SNAPSHOTS)('keeps %s as the request and response model, and in the span name', (m) => {
    const span = exportModel(m);
    expect(span.attributes[C.ATTR_GEN_AI_REQUEST_MODEL]).toBe(m);
    expect(span.attributes[C.ATTR_GEN_AI_RESPONSE_MODEL]).toBe(m);
    expect(span.name).toBe(`chat ${m}`);
  });

  it('gives the views the price key of the undated model', () => {
    expect(
      priceKey(
        exportModel('claude-sonnet-4-5-20250929').attributes[C.ATTR_GEN_AI_REQUEST_MODEL] as string,
      ),
    ).toBe('claude-sonnet-4-5');
    expect(
      priceKey(exportModel('gpt-4.1-2025-04-14').attributes[C.ATTR_GEN_AI_REQUEST_MODEL] as string),
    ).toBe('gpt-4.1');
    expect(
      priceKey(exportModel('o3-2025-04-16').attributes[C.ATTR_GEN_AI_RESPONSE_MODEL] as string),
    ).toBe('o3');
  });

  it.each(PLANTED)('still drops %s from the model keys and the span name', (planted) => {
    const span = exportModel(planted);
    expect(span.attributes[C.ATTR_GEN_AI_REQUEST_MODEL]).toBeUndefined();
    expect(span.attributes[C.ATTR_GEN_AI_RESPONSE_MODEL]).toBeUndefined();
    expect(span.name).toBe('chat');
  });

  it('masks only real calendar dates from 2020 to 2039 between separators', () => {
    expect(maskSnapshotDates('gpt-4o-2024-08-06')).toBe('gpt-4o-~');
    expect(maskSnapshotDates('m-2024-13-01')).toBe('m-2024-13-01');
    expect(maskSnapshotDates('m-19990101')).toBe('m-19990101');
    expect(maskSnapshotDates('m20240806')).toBe('m20240806');
    expect(maskSnapshotDates('m-2024080612')).toBe('m-2024080612');
    expect(isSafeModelName('gpt-4o-mini')).toBe(true);
  });

  it('applies the date rule only to model keys: the same value as a tool name is dropped', () => {
    const p = createPipeline();
    p.provider
      .getTracer('t')
      .startSpan('execute_tool', {
        attributes: {
          'gen_ai.tool.name': 'lookup-4-5-20250929',
          'gen_ai.operation.name': 'execute_tool',
        },
      })
      .end();
    expect(p.spans()[0]!.attributes['gen_ai.tool.name']).toBeUndefined();
  });
});
