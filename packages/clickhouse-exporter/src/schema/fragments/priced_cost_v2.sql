-- USD for input, output, cached (cache-read) and cache-write tokens at
-- price_list_v2 index i (0 → 0). Input tokens include the cached and written
-- ones (the GenAI conventions' input_tokens): cached input is billed at the
-- cached rate, written input at the cache-write rate, the rest at the input
-- rate. Needs i, input, output, cached, written and price_list in scope.
if(i = 0, 0, ((toFloat64(input) - least(cached + written, input)) * price_list.3[i]
    + least(cached, input) * price_list.5[i]
    + least(written, input - least(cached, input)) * price_list.6[i]
    + output * price_list.4[i]) / 1e6)
