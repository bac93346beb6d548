-- USD for input, output and cached (cache-read) tokens at price_list index i
-- (0 → 0). Cached input is billed at the cached rate, the rest of the input
-- at the input rate. Needs i, input, output, cached and price_list in scope.
if(i = 0, 0, ((toFloat64(input) - least(cached, input)) * price_list.3[i]
    + least(cached, input) * price_list.5[i] + output * price_list.4[i]) / 1e6)
