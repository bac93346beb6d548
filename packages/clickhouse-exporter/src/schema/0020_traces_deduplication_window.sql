-- A spans table the official collector created (or one from before 0001 set
-- it) has no deduplication window: a batch the exporter retries or replays
-- from its spool under the same insert_deduplication_token would be stored
-- twice. Set it on the table that holds the data; idempotent.
ALTER TABLE {{local otel_traces}} {{on_cluster}} MODIFY SETTING non_replicated_deduplication_window = 1000;
