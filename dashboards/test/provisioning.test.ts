/**
 * The provisioning files, the ClickHouse user file and the compose file
 * agree with each other and with the dashboards: same data source uid, the
 * folder Grafana loads is the one the generated JSON is mounted at, the
 * traces settings match the OTel schema the trace links query.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLICKHOUSE_PLUGIN_ID, DATASOURCE_UID } from '../src/datasource.js';
import { TRACE_DATABASE } from '../src/trace-link.js';

const read = (path: string) => readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8');
const datasource = read('../provisioning/datasources/clickhouse.yaml');
const provider = read('../provisioning/dashboards/agenttrace.yaml');
const users = read('../clickhouse/users.d/grafana-readonly.xml');
const compose = read('../../docker-compose.yml');

/** The value of `key:` on its own line (first match), unquoted. */
function yamlValue(text: string, key: string): string | undefined {
  const match = new RegExp(`^\\s*-?\\s*${key}:\\s*(.+?)\\s*$`, 'm').exec(text);
  return match?.[1]?.replace(/^'(.*)'$/, '$1');
}

describe('provisioning', () => {
  it('provisions the data source the dashboards point at', () => {
    expect(yamlValue(datasource, 'uid')).toBe(DATASOURCE_UID);
    expect(yamlValue(datasource, 'type')).toBe(CLICKHOUSE_PLUGIN_ID);
    expect(yamlValue(datasource, 'host')).toBe('clickhouse');
    expect(yamlValue(datasource, 'port')).toBe('8123');
    expect(yamlValue(datasource, 'protocol')).toBe('http');
    expect(yamlValue(datasource, 'defaultDatabase')).toBe(TRACE_DATABASE);
  });

  it('turns on OTel traces on otel_traces as the trace links expect', () => {
    const traces = datasource.slice(datasource.indexOf('traces:'));
    expect(yamlValue(traces, 'defaultDatabase')).toBe(TRACE_DATABASE);
    expect(yamlValue(traces, 'defaultTable')).toBe('otel_traces');
    expect(yamlValue(traces, 'otelEnabled')).toBe('true');
    expect(yamlValue(traces, 'otelVersion')).toBe('latest');
    expect(yamlValue(traces, 'durationUnit')).toBe('nanoseconds');
    expect(yamlValue(traces, 'traceEventsColumnPrefix')).toBe('Events');
    expect(yamlValue(traces, 'traceLinksColumnPrefix')).toBe('Links');
    expect(yamlValue(traces, 'traceTimestampTableSuffix')).toBe('_trace_id_ts');
  });

  it('connects as the read-only user the ClickHouse user file creates', () => {
    const user = yamlValue(datasource, 'username') ?? '';
    expect(users).toContain(`<${user}>`);
    expect(users).toMatch(/<readonly>2<\/readonly>/);
    expect(users).toContain(`GRANT SELECT ON ${TRACE_DATABASE}.*`);
    expect(users).toContain('from_env="GRAFANA_CLICKHOUSE_PASSWORD"');
    expect(datasource).toContain('${GRAFANA_CLICKHOUSE_PASSWORD}');
  });

  it('is mounted by the compose file where Grafana and ClickHouse read it', () => {
    const path = yamlValue(provider, 'path');
    expect(compose).toContain(`./dashboards/generated:${path}:ro`);
    expect(compose).toContain(
      './dashboards/provisioning/datasources:/etc/grafana/provisioning/datasources:ro',
    );
    expect(compose).toContain(
      './dashboards/provisioning/dashboards:/etc/grafana/provisioning/dashboards:ro',
    );
    expect(compose).toContain(
      './dashboards/clickhouse/users.d/grafana-readonly.xml:/etc/clickhouse-server/users.d/grafana-readonly.xml:ro',
    );
    expect(compose).toContain(`CLICKHOUSE_DB: ${TRACE_DATABASE}`);
    expect(compose).toContain('GF_INSTALL_PLUGINS: grafana-clickhouse-datasource');
  });
});
