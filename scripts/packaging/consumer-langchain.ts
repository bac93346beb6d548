// The LangChain.js entry point, type-checked against the installed declarations.
import { AgentTracer, createTracerProvider } from '@agenttrace/sdk';
import { ClickHouseSpanExporter } from '@agenttrace/clickhouse-exporter';
import { AgentTraceCallbackHandler } from '@agenttrace/integrations/langchain';
import type { BaseCallbackHandler } from '@langchain/core/callbacks/base';

const tracerProvider = createTracerProvider({ exporter: new ClickHouseSpanExporter() });
export const handler: BaseCallbackHandler = new AgentTraceCallbackHandler(
  new AgentTracer({ agentName: 'rag', tracerProvider }),
);
