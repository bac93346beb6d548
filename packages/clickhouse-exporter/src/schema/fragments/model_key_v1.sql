-- The model a step's tokens are priced as: the response model, else the
-- requested one, lower-cased, without a dated snapshot or -latest suffix
-- (gpt-4o-2024-08-06 → gpt-4o, claude-sonnet-4-5-20250929 → claude-sonnet-4-5).
replaceRegexpOne(
    lower(if(SpanAttributes['gen_ai.response.model'] != '', SpanAttributes['gen_ai.response.model'], SpanAttributes['gen_ai.request.model'])),
    '-(latest|\\d{4}-\\d{2}-\\d{2}|\\d{8})$', '')
