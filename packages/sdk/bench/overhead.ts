/**
 * Bench: ns per span of agenttrace (run/step API + allowlist) against bare
 * OTel making the same spans with the same attributes, both through a
 * BatchSpanProcessor into a no-op exporter, interleaved in one process.
 * Prints one JSON line. Run: `npx tsx packages/sdk/bench/overhead.ts`.
 */
import { randomUUID } from 'node:crypto';
import { context, SpanStatusCode, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { AgentTracer, AllowlistSpanProcessor, conventions as C } from '../src/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 31);
const RUNS_PER_ROUND = Number(process.env.BENCH_RUNS ?? 2_000);
const STEPS_PER_RUN = 4;
const SPANS_PER_ROUND = RUNS_PER_ROUND * (STEPS_PER_RUN + 1);

class NoopExporter implements SpanExporter {
  exported = 0;
  export(spans: ReadableSpan[], cb: (r: ExportResult) => void): void {
    this.exported += spans.length;
    cb({ code: ExportResultCode.SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function provider(wrap: boolean, exporter: NoopExporter): BasicTracerProvider {
  const batch = new BatchSpanProcessor(exporter, {
    maxQueueSize: 1_000_000,
    maxExportBatchSize: 512,
    scheduledDelayMillis: 50,
  });
  return new BasicTracerProvider({
    spanProcessors: [wrap ? new AllowlistSpanProcessor(batch) : batch],
  });
}

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

const bareExporter = new NoopExporter();
const oursExporter = new NoopExporter();
const bareTracer = provider(false, bareExporter).getTracer('bench');
const ours = new AgentTracer({
  agentName: 'bench_agent',
  agentVersion: '1.0.0',
  tracerProvider: provider(true, oursExporter),
});

const model = { name: 'gpt-4o-mini', provider: 'openai' };

/**
 * The baseline: what an agent instrumented by hand with bare OTel would do to
 * emit the same spans: generate a run id, build the same attributes from
 * runtime values, name spans the same way, record usage and the outcome.
 */
function bareRound(): void {
  for (let i = 0; i < RUNS_PER_ROUND; i++) {
    const runId = randomUUID();
    const runAttrs: Attributes = {
      [C.ATTR_GEN_AI_OPERATION_NAME]: C.OPERATION.invokeAgent,
      [C.ATTR_GEN_AI_AGENT_NAME]: 'bench_agent',
      [C.ATTR_GEN_AI_AGENT_VERSION]: '1.0.0',
      [C.ATTR_RUN_ID]: runId,
      [C.ATTR_RUN_ORIGIN]: 'root',
    };
    bareTracer.startActiveSpan(`invoke_agent ${'bench_agent'}`, { attributes: runAttrs }, (run) => {
      for (let s = 0; s < STEPS_PER_RUN; s++) {
        const stepAttrs: Attributes = {
          [C.ATTR_RUN_ID]: runId,
          [C.ATTR_GEN_AI_AGENT_NAME]: 'bench_agent',
          [C.ATTR_GEN_AI_AGENT_VERSION]: '1.0.0',
          [C.ATTR_STEP_TYPE]: 'model',
          [C.ATTR_STEP_NAME]: 'answer',
          [C.ATTR_STEP_SEQ]: s + 1,
          [C.ATTR_GEN_AI_OPERATION_NAME]: C.OPERATION.chat,
          [C.ATTR_GEN_AI_REQUEST_MODEL]: model.name,
          [C.ATTR_GEN_AI_PROVIDER_NAME]: model.provider,
        };
        bareTracer.startActiveSpan(`chat ${model.name}`, { attributes: stepAttrs }, (step) => {
          step.setAttributes({
            [C.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 120,
            [C.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 40,
          });
          step.end();
        });
      }
      run.setAttribute(C.ATTR_RUN_STATUS, 'success');
      run.setStatus({ code: SpanStatusCode.OK });
      run.end();
    });
  }
}

function oursRound(): void {
  for (let i = 0; i < RUNS_PER_ROUND; i++) {
    ours.run((run) => {
      for (let s = 0; s < STEPS_PER_RUN; s++) {
        run.step('model', 'answer', { model: model.name, provider: model.provider }, (step) => {
          step.setUsage({ inputTokens: 120, outputTokens: 40 });
        });
      }
    });
  }
}

function time(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / SPANS_PER_ROUND;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    bareRound();
    oursRound();
  }
  const bare: number[] = [];
  const agenttrace: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // alternate the order so neither side always runs on a warmer heap
    if (r % 2 === 0) {
      bare.push(time(bareRound));
      agenttrace.push(time(oursRound));
    } else {
      agenttrace.push(time(oursRound));
      bare.push(time(bareRound));
    }
    await new Promise((resolve) => setTimeout(resolve, 60));
  }
  const ratios = bare.map((b, i) => agenttrace[i]! / b);
  console.log(
    JSON.stringify({
      bench: 'sdk-overhead',
      spansPerRound: SPANS_PER_ROUND,
      rounds: ROUNDS,
      bareNsPerSpan: Math.round(median(bare)),
      agenttraceNsPerSpan: Math.round(median(agenttrace)),
      // paired: each round's two timings ran back to back, so their ratio cancels most machine noise
      ratio: Number(median(ratios).toFixed(3)),
      ratioOfMedians: Number((median(agenttrace) / median(bare)).toFixed(3)),
      target: 1.15,
      exportedBare: bareExporter.exported,
      exportedAgenttrace: oursExporter.exported,
    }),
  );
}

void main();
