-- A run span's outcome: agenttrace.run.status, else failure when its status is an error.
if(SpanAttributes['agenttrace.run.status'] != '', SpanAttributes['agenttrace.run.status'],
    if({{fragment is_error_v1}}, 'failure', 'success'))
