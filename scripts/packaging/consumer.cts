// The CommonJS declarations, from a .cts file.
/* eslint-disable @typescript-eslint/no-require-imports -- require() is what this file checks */
import sdk = require('@agenttrace/sdk');
import exporter = require('@agenttrace/clickhouse-exporter');
import query = require('@agenttrace/query');

const provider = sdk.createTracerProvider({
  exporter: new exporter.ClickHouseSpanExporter({ url: 'http://localhost:8123' }),
});
const since: string = query.SINCE_EXPECTED;
export = { provider, since };
