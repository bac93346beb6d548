-- All prices as parallel arrays (model, effective_from, input, output, cached
-- input per million tokens), sorted so the last match is the newest price.
(SELECT (groupArray(model), groupArray(effective_from), groupArray(input_per_mtok),
        groupArray(output_per_mtok), groupArray(cached_input_per_mtok))
    FROM (SELECT model, effective_from, input_per_mtok, output_per_mtok, cached_input_per_mtok
        FROM {{table model_prices}} FINAL ORDER BY model, effective_from))
