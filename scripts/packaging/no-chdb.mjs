// A server-only install (no chdb): a server store and exporter construct,
// and asking for the embedded store fails with the typed error that says how
// to install chDB.
import {
  ClickHouseSpanExporter,
  createStore,
  EmbeddedEngineMissingError,
} from '@agenttrace/clickhouse-exporter';

const server = createStore({ url: 'http://127.0.0.1:1' });
new ClickHouseSpanExporter({ store: server });
await server.close();
try {
  createStore({ path: process.argv[2] });
  throw new Error('createStore() opened an embedded store without chdb installed');
} catch (error) {
  if (
    !(error instanceof EmbeddedEngineMissingError) ||
    error.code !== 'EMBEDDED_ENGINE_MISSING' ||
    !error.message.includes('npm install chdb')
  ) {
    throw error;
  }
  console.log(`without chdb: ${error.code}: ${error.message.slice(0, 90)}…`);
}
