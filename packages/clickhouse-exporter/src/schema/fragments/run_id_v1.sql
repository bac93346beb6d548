-- A run span's id: agenttrace.run.id, else the span id (other instrumentations).
if(SpanAttributes['agenttrace.run.id'] != '', SpanAttributes['agenttrace.run.id'], lower(SpanId))
