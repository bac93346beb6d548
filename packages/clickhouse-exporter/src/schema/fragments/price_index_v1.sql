-- Index in price_list of the price in effect for key.1 (priced model) at
-- bucket, 0 if the model has none. Needs key, bucket and price_list in scope.
arrayLastIndex((pm, pe) -> pm = key.1 AND pe <= bucket, price_list.1, price_list.2)
