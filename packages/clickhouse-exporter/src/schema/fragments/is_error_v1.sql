-- Span status is error, in the current and the older collector spelling.
(StatusCode IN ('Error', 'STATUS_CODE_ERROR'))
