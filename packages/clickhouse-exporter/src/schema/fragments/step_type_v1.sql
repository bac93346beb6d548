-- The step type of a span: agenttrace's own attribute, else derived from the
-- GenAI operation of spans other instrumentations write.
multiIf(
    SpanAttributes['agenttrace.step.type'] != '', SpanAttributes['agenttrace.step.type'],
    SpanAttributes['gen_ai.operation.name'] = 'execute_tool', 'tool',
    SpanAttributes['gen_ai.operation.name'] IN ('chat', 'text_completion', 'generate_content'), 'model',
    SpanAttributes['gen_ai.operation.name'] = 'retrieval', 'retrieve',
    'other')
