/**
 * The decoders through their public functions: exact 64-bit times, negative
 * and large int64 values, UTF-8, unknown fields, fields out of order, and
 * errors that name the field without echoing content.
 */
import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DECODE_LIMITS,
  InvalidRequestError,
  decodeJsonRequest,
  decodeProtobufRequest,
} from '../src/index.js';

const L = DEFAULT_DECODE_LIMITS;

function fixed64(w: protobuf.Writer, tag: number, ns: bigint): void {
  w.uint32(tag)
    .fixed32(Number(ns & 0xffffffffn))
    .fixed32(Number(ns >> 32n));
}

function intAttr(key: string, value: number): Uint8Array {
  const any = protobuf.Writer.create().uint32(24).int64(value).finish();
  return protobuf.Writer.create().uint32(10).string(key).uint32(18).bytes(any).finish();
}

/** One span with `extra` written into it; resource written after the scope spans. */
function request(start: bigint, end: bigint, extra: (w: protobuf.Writer) => void): Uint8Array {
  const s = protobuf.Writer.create();
  s.uint32(10).bytes(new Uint8Array(16).fill(0xab));
  s.uint32(18).bytes(new Uint8Array(8).fill(0xcd));
  s.uint32(42).string('chat gpt-4o');
  fixed64(s, 57, start);
  fixed64(s, 65, end);
  s.uint32((99 << 3) | 2).string('an unknown field'); // skipped, as protobuf requires
  extra(s);
  const scope = protobuf.Writer.create().uint32(18).bytes(s.finish()).finish();
  const resource = protobuf.Writer.create()
    .uint32(10)
    .bytes(intAttr('service.instance.id', 7))
    .finish();
  const rs = protobuf.Writer.create().uint32(18).bytes(scope).uint32(10).bytes(resource).finish();
  return protobuf.Writer.create().uint32(10).bytes(rs).finish();
}

describe('decodeProtobufRequest', () => {
  it('decodes times exactly, negative and large int64, UTF-8, fields in any order', () => {
    const start = 1_700_000_000_123_456_789n;
    const end = 0x7fff_ffff_ffff_fff0n; // beyond the float-exact range (the BigInt path), within the store's
    const out = decodeProtobufRequest(
      request(start, end, (w) => {
        w.uint32(74).bytes(intAttr('neg', -1));
        w.uint32(74).bytes(intAttr('big', 2 ** 52 + 1));
        w.uint32(74).bytes(intAttr('minus_big', -(2 ** 40)));
        const utf8 = protobuf.Writer.create().uint32(10).string('héllo wörld ✓').finish();
        w.uint32(74).bytes(
          protobuf.Writer.create().uint32(10).string('s').uint32(18).bytes(utf8).finish(),
        );
      }),
      L,
    );
    expect(out.rejected).toBe(0);
    const [span] = out.spans;
    expect(span?.startTime).toEqual([1_700_000_000, 123_456_789]);
    expect(span?.endTime).toEqual([Number(end / 1_000_000_000n), Number(end % 1_000_000_000n)]);
    expect(span?.attributes).toEqual({
      neg: -1,
      big: 2 ** 52 + 1,
      minus_big: -(2 ** 40),
      s: 'héllo wörld ✓',
    });
    expect(span?.resource.attributes).toEqual({ 'service.instance.id': 7 });
    expect(span?.spanContext().traceId).toBe('ab'.repeat(16));
  });

  it('names the field of a wrong wire type and never echoes content', () => {
    const body = request(1n, 2n, (w) => w.uint32((5 << 3) | 0).uint32(1)); // name as a varint
    try {
      decodeProtobufRequest(body, L);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidRequestError);
      expect((err as Error).message).toBe(
        'resourceSpans[0].scopeSpans[0].spans[0].name: must be length-delimited (got wire type 0)',
      );
    }
  });

  it('rejects a value nested deeper than maxValueDepth, naming where', () => {
    let any = protobuf.Writer.create().uint32(10).string('leaf').finish();
    for (let i = 0; i < 3; i++) {
      const arr = protobuf.Writer.create().uint32(10).bytes(any).finish();
      any = protobuf.Writer.create().uint32(42).bytes(arr).finish();
    }
    const kv = protobuf.Writer.create().uint32(10).string('k').uint32(18).bytes(any).finish();
    const out = decodeProtobufRequest(
      request(1n, 2n, (w) => w.uint32(74).bytes(kv)),
      { ...L, maxValueDepth: 2 },
    );
    expect(out.spans).toHaveLength(0);
    expect(out.firstError).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.arrayValue.values[0].arrayValue: nests deeper than 2 levels',
    );
  });
});

describe('decodeJsonRequest', () => {
  it('accepts enums by name or number and ids in either case, and skips unknown fields', () => {
    const out = decodeJsonRequest(
      JSON.stringify({
        resourceSpans: [
          {
            futureField: { x: 1 },
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: 'AB'.repeat(16),
                    spanId: 'cd'.repeat(8),
                    name: 'n',
                    kind: 'SPAN_KIND_PRODUCER',
                    startTimeUnixNano: 1_000_000_001,
                    endTimeUnixNano: '9223372036854775807',
                    status: { code: 1 },
                    attributes: [{ key: 'd', value: { doubleValue: 'Infinity' } }],
                  },
                ],
              },
            ],
          },
        ],
      }),
      L,
    );
    const [span] = out.spans;
    expect(span?.kind).toBe(3);
    expect(span?.startTime).toEqual([1, 1]);
    expect(span?.endTime).toEqual([9_223_372_036, 854_775_807]);
    expect(span?.attributes).toEqual({ d: Infinity });
  });
});
