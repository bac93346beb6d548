-- Failure code for a failed span with no explicit agenttrace.failure.code.
-- Needs in scope: step_type (plan|retrieve|tool|model|respond|other, or
-- 'orchestration' for a run), error_text (lower-cased error.type, else the
-- first exception event's exception.type) and http_status (UInt16, 0 if none).
-- First match wins; docs/failures.md has this table in prose.
multiIf(
    http_status IN (408, 504) OR match(error_text, 'time[d_ ]?out|deadline'), 'timeout',
    http_status = 429 OR match(error_text, 'rate_?limit|too_?many_?requests|quota'), 'rate_limited',
    http_status IN (401, 403) OR match(error_text, 'auth|permission|forbidden|api_?key'), 'auth',
    match(error_text, 'context_?length|context_?window|token_?limit'), 'context_length',
    match(error_text, 'content_?filter|moderation|safety|refus'), 'content_filter',
    match(error_text, 'schema|json|validation|pars(e|ing)|zod|pydantic|syntax_?error'), 'schema_invalid',
    step_type = 'retrieve' AND match(error_text, 'empty|no_?results|no_?documents'), 'empty_retrieval',
    match(error_text, 'max_?iter|iteration_?limit|recursion|max_?steps|max_?turns'), 'max_iterations',
    match(error_text, 'abort|cancel'), 'cancelled',
    http_status >= 500 OR match(error_text, 'unavailable|overloaded|internal_?server|bad_?gateway'), 'unavailable',
    match(error_text, 'econn|enotfound|eai_again|epipe|socket|network|connection|fetch_?failed'), 'network',
    http_status = 404 OR match(error_text, 'not_?found'), 'not_found',
    http_status IN (400, 409, 413, 422) OR match(error_text, 'invalid|bad_?request'), 'invalid_request',
    'error')
