/**
 * A plain `fetch` agent against an OpenAI-compatible chat API, instrumented
 * by hand: the lines marked `// agenttrace` are all it takes.
 */
import type { AgentTracer } from '@agenttrace/sdk';

interface ChatResponse {
  model: string;
  choices: { message: { content: string }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number };
}

/** Asks the model one question, retrying rate limits; resolves to the answer text. */
export async function askModel(
  tracer: AgentTracer,
  baseUrl: string,
  question: string,
): Promise<string> {
  return tracer.run(async (run) =>
    // agenttrace
    run.retry(
      'model',
      'ask',
      { model: 'gpt-4o-mini', provider: 'openai', attempts: 3, initialDelayMs: 10 },
      async (step) => {
        // agenttrace
        const res = await fetch(`${baseUrl}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: question }],
          }),
        });
        step.setHttpStatus(res.status); // agenttrace
        if (!res.ok)
          throw Object.assign(new Error(`chat API answered ${res.status}`), { status: res.status });
        const body = (await res.json()) as ChatResponse;
        step.setUsage({
          inputTokens: body.usage.prompt_tokens,
          outputTokens: body.usage.completion_tokens,
        }); // agenttrace
        step.setResponse({
          model: body.model,
          finishReasons: body.choices.map((c) => c.finish_reason),
        }); // agenttrace
        return body.choices[0]?.message.content ?? '';
      },
    ),
  ); // agenttrace
}
