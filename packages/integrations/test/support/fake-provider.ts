/**
 * A fake model provider: a real HTTP server on 127.0.0.1 port 0 that answers
 * the routes the real `openai` and `@anthropic-ai/sdk` clients call, so the
 * clients and the instrumentations around them run unmodified. Every answer
 * carries planted content ({@link PLANTED}) that a test searches the store
 * for, to prove it was not kept.
 *
 * Routes: OpenAI `POST /v1/chat/completions` (JSON, or SSE with `stream: true`
 * and usage in a last chunk when `stream_options.include_usage`), `POST
 * /v1/embeddings` (float or base64), Anthropic `POST /v1/messages` (JSON or
 * SSE). Each request takes the next scripted reply ({@link FakeReply}) from
 * the queue, or a text answer when the queue is empty.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Content planted in requests and replies; none of it may reach the store. */
export const PLANTED = {
  /** The model's text answer. */
  answer: 'PLANTED-answer-7f3a Jane Doe lives at 12 Rue de Rivoli',
  /** A prompt a test sends. */
  prompt: 'PLANTED-prompt-91c2 refund order for jane.planted@example.com',
  /** Tool-call arguments the model returns. */
  toolArgs: '{"order_id":"PLANTED-toolarg-55d1","email":"jane.planted@example.com"}',
  /** An e-mail address inside prompts, arguments and error messages. */
  email: 'jane.planted@example.com',
  /** The provider's error message, which instrumentations copy into the span status. */
  statusMessage: 'PLANTED-status-3e8b rate limit for jane.planted@example.com',
  /** The system prompt a test sends. */
  system: 'PLANTED-system-0b7d you serve Jane Doe',
} as const;

/** Every planted string, to search stored rows for. */
export const PLANTED_VALUES: readonly string[] = [
  ...Object.values(PLANTED),
  'PLANTED-',
  'Jane Doe',
];

/** The dated snapshots the fake provider reports as the model that answered. */
export const FAKE_MODELS = {
  openai: 'gpt-4.1-2025-04-14',
  embedding: 'text-embedding-3-small',
  anthropic: 'claude-sonnet-4-5-20250929',
} as const;

/** Token counts in replies unless a reply sets its own. */
export const FAKE_USAGE = {
  openai: { input: 120, output: 30 },
  embedding: { input: 8 },
  anthropic: { input: 200, output: 40, cacheRead: 16, cacheWrite: 24 },
} as const;

/** One scripted reply. */
export type FakeReply =
  | { kind: 'text'; text?: string; input?: number; output?: number }
  | { kind: 'tool_call'; name: string; args?: string; input?: number; output?: number }
  | { kind: 'error'; status: 429 | 500 | 400 | 503; message?: string };

/** A request the server received. */
export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly body: Record<string, unknown>;
}

/** A listening fake provider. */
export interface FakeProvider {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The OpenAI client's `baseURL` (`<url>/v1`). */
  readonly openaiBaseURL: string;
  /** The Anthropic client's `baseURL` (`<url>`; the client adds `/v1`). */
  readonly anthropicBaseURL: string;
  /** Requests received, oldest first. */
  readonly requests: FakeRequest[];
  /** Queues replies for the next requests, in order. */
  script(...replies: FakeReply[]): void;
  /** Empties the queue and the request log. */
  reset(): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1_048_576;
const EMBEDDING_DIMENSIONS = 8;

/** Starts a fake provider on 127.0.0.1 port 0. */
export async function startFakeProvider(): Promise<FakeProvider> {
  const queue: FakeReply[] = [];
  const requests: FakeRequest[] = [];
  let seq = 0;
  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      send(res, 500, { error: { message: `fake provider failed: ${String(err)}` } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    requests.push({ method: req.method ?? 'GET', path, body });
    const reply = queue.shift() ?? { kind: 'text' };
    const id = `${++seq}`.padStart(4, '0');
    if (req.method !== 'POST') return send(res, 405, { error: { message: 'POST only' } });
    if (path === '/v1/chat/completions') return openaiChat(res, body, reply, id);
    if (path === '/v1/embeddings') return openaiEmbeddings(res, body, reply);
    if (path === '/v1/messages') return anthropicMessages(res, body, reply, id);
    send(res, 404, { error: { message: `no fake route ${path}` } });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    openaiBaseURL: `${url}/v1`,
    anthropicBaseURL: url,
    requests,
    script: (...replies) => void queue.push(...replies),
    reset: () => {
      queue.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

function send(res: ServerResponse, status: number, body: unknown, headers = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function sse(res: ServerResponse, events: { event?: string; data: unknown }[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const e of events) {
    const data = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
    res.write(`${e.event ? `event: ${e.event}\n` : ''}data: ${data}\n\n`);
  }
  res.end();
}

function errorReply(
  res: ServerResponse,
  reply: Extract<FakeReply, { kind: 'error' }>,
  flavour: 'openai' | 'anthropic',
): void {
  const message = reply.message ?? PLANTED.statusMessage;
  const limited = reply.status === 429;
  const headers = limited ? { 'retry-after': '0' } : {};
  if (flavour === 'openai')
    return send(
      res,
      reply.status,
      {
        error: {
          message,
          type: limited ? 'requests' : 'server_error',
          param: null,
          code: limited ? 'rate_limit_exceeded' : null,
        },
      },
      headers,
    );
  const type = limited
    ? 'rate_limit_error'
    : reply.status === 400
      ? 'invalid_request_error'
      : 'api_error';
  send(res, reply.status, { type: 'error', error: { type, message } }, headers);
}

function openaiChat(
  res: ServerResponse,
  body: Record<string, unknown>,
  reply: FakeReply,
  id: string,
): void {
  if (reply.kind === 'error') return errorReply(res, reply, 'openai');
  const model = FAKE_MODELS.openai;
  const created = 1_760_000_000;
  const usage = {
    prompt_tokens: reply.input ?? FAKE_USAGE.openai.input,
    completion_tokens: reply.output ?? FAKE_USAGE.openai.output,
    total_tokens:
      (reply.input ?? FAKE_USAGE.openai.input) + (reply.output ?? FAKE_USAGE.openai.output),
    prompt_tokens_details: { cached_tokens: 0 },
  };
  const toolCall =
    reply.kind === 'tool_call'
      ? {
          id: `call_PLANTED${id}`,
          type: 'function' as const,
          function: { name: reply.name, arguments: reply.args ?? PLANTED.toolArgs },
        }
      : undefined;
  const text = reply.kind === 'text' ? (reply.text ?? PLANTED.answer) : null;
  const finish = toolCall ? 'tool_calls' : 'stop';
  const base = { id: `chatcmpl-${id}`, created, model, system_fingerprint: 'fp_fake' };
  if (body.stream !== true)
    return send(res, 200, {
      ...base,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: text,
            refusal: null,
            ...(toolCall ? { tool_calls: [toolCall] } : {}),
          },
          logprobs: null,
          finish_reason: finish,
        },
      ],
      usage,
    });
  const chunk = (delta: Record<string, unknown>, finishReason: string | null) => ({
    data: {
      ...base,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(includeUsage(body) ? { usage: null } : {}),
    },
  });
  const events: { data: unknown }[] = [
    chunk({ role: 'assistant', content: toolCall ? null : '' }, null),
  ];
  if (toolCall) {
    const half = Math.floor(toolCall.function.arguments.length / 2);
    events.push(
      chunk(
        {
          tool_calls: [
            { index: 0, ...toolCall, function: { name: toolCall.function.name, arguments: '' } },
          ],
        },
        null,
      ),
      chunk(
        {
          tool_calls: [
            { index: 0, function: { arguments: toolCall.function.arguments.slice(0, half) } },
          ],
        },
        null,
      ),
      chunk(
        {
          tool_calls: [
            { index: 0, function: { arguments: toolCall.function.arguments.slice(half) } },
          ],
        },
        null,
      ),
    );
  } else {
    const words = (text ?? '').split(' ');
    words.forEach((w, i) => events.push(chunk({ content: i === 0 ? w : ` ${w}` }, null)));
  }
  events.push(chunk({}, finish));
  if (includeUsage(body))
    events.push({ data: { ...base, object: 'chat.completion.chunk', choices: [], usage } });
  events.push({ data: '[DONE]' });
  sse(res, events);
}

function includeUsage(body: Record<string, unknown>): boolean {
  const options = body.stream_options as { include_usage?: unknown } | undefined;
  return options?.include_usage === true;
}

function openaiEmbeddings(
  res: ServerResponse,
  body: Record<string, unknown>,
  reply: FakeReply,
): void {
  if (reply.kind === 'error') return errorReply(res, reply, 'openai');
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const vector = Array.from({ length: EMBEDDING_DIMENSIONS }, (_, i) => (i + 1) / 16);
  const embedding =
    body.encoding_format === 'base64'
      ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
      : vector;
  const input =
    reply.kind === 'text'
      ? (reply.input ?? FAKE_USAGE.embedding.input)
      : FAKE_USAGE.embedding.input;
  send(res, 200, {
    object: 'list',
    data: inputs.map((_, index) => ({ object: 'embedding', index, embedding })),
    model: FAKE_MODELS.embedding,
    usage: { prompt_tokens: input, total_tokens: input },
  });
}

function anthropicMessages(
  res: ServerResponse,
  body: Record<string, unknown>,
  reply: FakeReply,
  id: string,
): void {
  if (reply.kind === 'error') return errorReply(res, reply, 'anthropic');
  const model = FAKE_MODELS.anthropic;
  const input = reply.input ?? FAKE_USAGE.anthropic.input;
  const output = reply.output ?? FAKE_USAGE.anthropic.output;
  const cache = {
    cache_creation_input_tokens: FAKE_USAGE.anthropic.cacheWrite,
    cache_read_input_tokens: FAKE_USAGE.anthropic.cacheRead,
  };
  const block =
    reply.kind === 'tool_call'
      ? {
          type: 'tool_use' as const,
          id: `toolu_PLANTED${id}`,
          name: reply.name,
          input: JSON.parse(reply.args ?? PLANTED.toolArgs) as unknown,
        }
      : { type: 'text' as const, text: reply.text ?? PLANTED.answer };
  const stopReason = reply.kind === 'tool_call' ? 'tool_use' : 'end_turn';
  const message = {
    id: `msg_${id}`,
    type: 'message',
    role: 'assistant',
    model,
    stop_sequence: null,
  };
  if (body.stream !== true)
    return send(res, 200, {
      ...message,
      content: [block],
      stop_reason: stopReason,
      usage: { input_tokens: input, output_tokens: output, ...cache },
    });
  const delta =
    block.type === 'text'
      ? { type: 'text_delta', text: block.text }
      : { type: 'input_json_delta', partial_json: JSON.stringify(block.input) };
  const start = block.type === 'text' ? { ...block, text: '' } : { ...block, input: {} };
  const ev = (event: string, data: Record<string, unknown>) => ({
    event,
    data: { type: event, ...data },
  });
  sse(res, [
    ev('message_start', {
      message: {
        ...message,
        content: [],
        stop_reason: null,
        usage: { input_tokens: input, output_tokens: 1, ...cache },
      },
    }),
    ev('content_block_start', { index: 0, content_block: start }),
    ev('content_block_delta', { index: 0, delta }),
    ev('content_block_stop', { index: 0 }),
    ev('message_delta', {
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: output },
    }),
    ev('message_stop', {}),
  ]);
}
