-- List prices per million tokens, joined by the views at query time so that a
-- corrected price changes the cost of past runs too. Insert a row with the
-- same (provider, model, effective_from) to correct a price, or a later
-- effective_from for a price change; the newest updated_at wins.
-- Seed values: public list prices (USD, standard tier, no batch discount) as
-- known when this file was written. Edit them; they are data, not code.
CREATE TABLE IF NOT EXISTS {{table model_prices}} {{on_cluster}} (
    provider LowCardinality(String),
    model LowCardinality(String),
    input_per_mtok Float64,
    output_per_mtok Float64,
    cached_input_per_mtok Float64,
    effective_from DateTime('UTC') DEFAULT toDateTime(0, 'UTC'),
    updated_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = {{engine ReplacingMergeTree(updated_at)}}
ORDER BY (model, provider, effective_from);

INSERT INTO {{table model_prices}} (provider, model, input_per_mtok, output_per_mtok, cached_input_per_mtok) VALUES
    ('openai', 'gpt-4o', 2.50, 10.00, 1.25),
    ('openai', 'gpt-4o-mini', 0.15, 0.60, 0.075),
    ('openai', 'gpt-4.1', 2.00, 8.00, 0.50),
    ('openai', 'gpt-4.1-mini', 0.40, 1.60, 0.10),
    ('openai', 'o3', 2.00, 8.00, 0.50),
    ('openai', 'o4-mini', 1.10, 4.40, 0.275),
    ('openai', 'gpt-5', 1.25, 10.00, 0.125),
    ('openai', 'gpt-5-mini', 0.25, 2.00, 0.025),
    ('anthropic', 'claude-opus-4', 15.00, 75.00, 1.50),
    ('anthropic', 'claude-opus-4-0', 15.00, 75.00, 1.50),
    ('anthropic', 'claude-opus-4-1', 15.00, 75.00, 1.50),
    ('anthropic', 'claude-opus-4-5', 5.00, 25.00, 0.50),
    ('anthropic', 'claude-sonnet-4', 3.00, 15.00, 0.30),
    ('anthropic', 'claude-sonnet-4-0', 3.00, 15.00, 0.30),
    ('anthropic', 'claude-sonnet-4-5', 3.00, 15.00, 0.30),
    ('anthropic', 'claude-haiku-4-5', 1.00, 5.00, 0.10),
    ('anthropic', 'claude-3-5-sonnet', 3.00, 15.00, 0.30),
    ('anthropic', 'claude-3-5-haiku', 0.80, 4.00, 0.08),
    ('x_ai', 'grok-3', 3.00, 15.00, 0.75),
    ('x_ai', 'grok-3-mini', 0.30, 0.50, 0.075),
    ('x_ai', 'grok-4', 3.00, 15.00, 0.75),
    ('gcp.gemini', 'gemini-2.5-pro', 1.25, 10.00, 0.125),
    ('gcp.gemini', 'gemini-2.5-flash', 0.30, 2.50, 0.03);
