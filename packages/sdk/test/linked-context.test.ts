import { createContextKey, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { LinkedContext } from '../src/linked-context.js';

const A = createContextKey('test.a');
const B = createContextKey('test.b');

describe('LinkedContext', () => {
  describe('.getValue', () => {
    it('reads its own entry, then the chain, then the parent context', () => {
      const parent = ROOT_CONTEXT.setValue(A, 'root a').setValue(B, 'root b');

      const ctx = new LinkedContext(parent, A, 'a').setValue(B, 'b').setValue(A, 'a2');

      expect(ctx.getValue(A)).toBe('a2');
      expect(ctx.getValue(B)).toBe('b');
      expect(new LinkedContext(parent, A, 'a').getValue(B)).toBe('root b');
      expect(new LinkedContext(ROOT_CONTEXT, A, 'a').getValue(B)).toBeUndefined();
    });

    it('holds a span the API finds with trace.getSpan', () => {
      const span = trace.wrapSpanContext({
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceFlags: 1,
      });

      const ctx = trace.setSpan(new LinkedContext(ROOT_CONTEXT, A, 'a'), span);

      expect(trace.getSpan(ctx)).toBe(span);
      expect(ctx.getValue(A)).toBe('a');
    });
  });

  describe('.setValue / .deleteValue', () => {
    it('returns new contexts and leaves the old one as it was', () => {
      const parent = ROOT_CONTEXT.setValue(B, 'root b');
      const ctx = new LinkedContext(parent, A, 'a');

      const set = ctx.setValue(A, 'other');
      const deleted = ctx.deleteValue(A).deleteValue(B);

      expect(ctx.getValue(A)).toBe('a');
      expect(ctx.getValue(B)).toBe('root b');
      expect(set.getValue(A)).toBe('other');
      expect(deleted.getValue(A)).toBeUndefined();
      expect(deleted.getValue(B)).toBeUndefined();
    });
  });
});
