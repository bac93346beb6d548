-- All prices as parallel arrays (model, effective_from, input, output, cached
-- input, cache write per million tokens), sorted so the last match is the
-- newest price. A cache write without a price of its own (NULL) costs the
-- input rate.
(SELECT (groupArray(model), groupArray(effective_from), groupArray(input_per_mtok),
        groupArray(output_per_mtok), groupArray(cached_input_per_mtok), groupArray(cache_write))
    FROM (SELECT model, effective_from, input_per_mtok, output_per_mtok, cached_input_per_mtok,
            ifNull(cache_write_per_mtok, input_per_mtok) AS cache_write
        FROM {{table model_prices}} FINAL ORDER BY model, effective_from))
