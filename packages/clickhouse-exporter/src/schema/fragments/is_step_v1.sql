-- Whether a span is an agent step (agenttrace's or another instrumentation's).
(SpanAttributes['agenttrace.step.type'] != ''
    OR SpanAttributes['gen_ai.operation.name'] IN
        ('execute_tool', 'chat', 'text_completion', 'generate_content', 'retrieval', 'embeddings'))
