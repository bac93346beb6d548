/**
 * TEST ONLY. Serves enough of the ClickHouse HTTP interface from chDB for
 * `@clickhouse/client`: `GET /ping`; `POST` with the SQL in the body or in
 * `?query=` (then the body is insert data, e.g. `INSERT … FORMAT
 * JSONEachRow`); `param_*` query parameters; every other query-string
 * parameter as a setting (`insert_deduplication_token` included). Errors are
 * HTTP 500 with `X-ClickHouse-Exception-Code` and the message as the body,
 * as a server answers. Listens on 127.0.0.1, port 0.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';

/** Query-string parameters that are part of the protocol, not settings. */
const PROTOCOL_PARAMS = new Set([
  'query',
  'database',
  'query_id',
  'session_id',
  'session_timeout',
  'session_check',
  'role',
  'user',
  'password',
  'default_format',
  'compress',
  'decompress',
]);

/** A running bridge. */
export interface ChdbHttpBridge {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Requests served so far, `/ping` included. */
  readonly requests: number;
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sendError(response: ServerResponse, error: unknown): void {
  const record = (typeof error === 'object' && error !== null ? error : {}) as Record<
    string,
    unknown
  >;
  const code = /^\d+$/.test(String(record['code'])) ? String(record['code']) : '1002';
  const type = typeof record['type'] === 'string' ? record['type'] : 'UNKNOWN_EXCEPTION';
  const message = error instanceof Error ? error.message : String(error);
  response.writeHead(500, {
    'Content-Type': 'text/plain; charset=UTF-8',
    'X-ClickHouse-Exception-Code': code,
  });
  response.end(`Code: ${code}. DB::Exception: ${message}. (${type}) (version chdb-bridge)\n`);
}

async function handle(
  client: ClickHouseClient,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://bridge');
  if (request.method === 'GET' && url.pathname === '/ping') {
    response.writeHead(200, { 'Content-Type': 'text/plain' });
    response.end('Ok.\n');
    return;
  }
  const body = await readBody(request);
  const queryParam = url.searchParams.get('query');
  const sql = queryParam ?? body.toString('utf8');
  const settings: Record<string, string> = {};
  const params: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (key.startsWith('param_')) params[key.slice('param_'.length)] = value;
    else if (!PROTOCOL_PARAMS.has(key)) settings[key] = value;
  }
  const result = await client.exec({
    query: sql,
    ...(queryParam !== null && body.length > 0 ? { values: Readable.from([body]) } : {}),
    clickhouse_settings: settings,
    ...(Object.keys(params).length > 0 ? { query_params: params } : {}),
  });
  const headers: Record<string, string> = { 'Content-Type': 'text/plain; charset=UTF-8' };
  if ('summary' in result && result.summary !== undefined) {
    headers['X-ClickHouse-Summary'] = JSON.stringify(result.summary);
  }
  response.writeHead(200, headers);
  for await (const chunk of result.stream) response.write(chunk as Buffer);
  response.end();
}

/** Starts a bridge answering from `client` (a chDB-backed client). */
export async function startChdbHttpBridge(client: ClickHouseClient): Promise<ChdbHttpBridge> {
  let requests = 0;
  const server = createServer((request, response) => {
    requests += 1;
    handle(client, request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, error);
      else response.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
