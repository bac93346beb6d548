-- Sessions, and feedback as the GenAI conventions' evaluation event.
--
-- * A session is stored only as the span attribute agenttrace.session.id, an
--   opaque keyed pseudonym the SDK's processor or the collector computed
--   (never the id as given; docs/privacy.md). agent_session_index puts each
--   run in its session: the session of its run span (or of a span carrying
--   its agenttrace.run.id), else the session any span of its trace carries
--   (nested runs, traces without a run span). agent_sessions rolls a session
--   up over its runs: runs, turns (runs of origin 'root': a user-visible
--   request; nested, parallel and forked runs belong to the turn that started
--   them), first start to last end, tokens, cost, failed runs and their codes.
--   One row per session, across services and agents (a conversation handled
--   by two services is one session); their names are in services / agents.
-- * agent_feedback (see 0006, 0008) now reads the gen_ai.evaluation.result
--   event (semantic-conventions-genai docs/gen-ai/gen-ai-events.md at
--   997a19cc9be3bcd54fe4f45213df8c274f4776f0): on the evaluated span itself
--   (a run span, a step of a run), on a feedback span that references the
--   run, or carrying only gen_ai.response.id, matched to the span with that
--   response id. Feedback spans of the earlier shape (span attributes
--   gen_ai.evaluation.*) are still read. gen_ai.evaluation.explanation is
--   content and never stored (the allowlist forbids it).
-- docs/schema.md (Sessions, Feedback).

-- One row per run that belongs to a session; no step rollup, so filtering
-- by time here before aggregating is cheap (the agent_run_index pattern).
CREATE OR REPLACE VIEW {{table agent_session_index}} {{on_cluster}} AS
WITH
    tagged AS (
        SELECT
            lower(TraceId) AS trace_id,
            multiIf(SpanAttributes['agenttrace.run.id'] != '', SpanAttributes['agenttrace.run.id'],
                SpanAttributes['gen_ai.operation.name'] = 'invoke_agent', lower(SpanId), '') AS run_id,
            SpanAttributes['agenttrace.session.id'] AS session_id,
            SpanAttributes['agenttrace.user.id'] AS user_id
        FROM {{table otel_traces}}
        WHERE SpanAttributes['agenttrace.session.id'] != ''
    ),
    by_run AS (
        SELECT run_id, any(session_id) AS session_id, max(user_id) AS user_id
        FROM tagged WHERE run_id != '' GROUP BY run_id
    ),
    by_trace AS (
        SELECT trace_id, any(session_id) AS session_id, max(user_id) AS user_id
        FROM tagged GROUP BY trace_id
    )
SELECT
    if(br.session_id != '', br.session_id, bt.session_id) AS session_id,
    if(br.session_id != '', br.user_id, bt.user_id) AS user_id,
    r.run_id AS run_id, r.trace_id AS trace_id, r.started_at AS started_at,
    r.duration_ms AS duration_ms, r.agent AS agent, r.agent_version AS agent_version,
    r.variant AS variant, r.status AS status, r.origin AS origin, r.service AS service,
    r.environment AS environment
FROM {{table agent_run_index}} AS r
{{global}} LEFT JOIN by_run AS br ON r.run_id = br.run_id
{{global}} LEFT JOIN by_trace AS bt ON lower(r.trace_id) = bt.trace_id
WHERE session_id != ''
{{view_settings}};

-- One row per session. The query API computes the same rollup for a page of
-- sessions (packages/query/src/sessions-query.ts); keep the two alike.
CREATE OR REPLACE VIEW {{table agent_sessions}} {{on_cluster}} AS
SELECT
    s.session_id AS session_id,
    max(s.user_id) AS user_id,
    count() AS runs,
    countIf(s.origin = 'root') AS turns,
    min(s.started_at) AS first_seen,
    max(s.started_at + toIntervalMicrosecond(toInt64(s.duration_ms * 1000))) AS last_seen,
    dateDiff('millisecond', first_seen, last_seen) AS duration_ms,
    arraySort(groupUniqArray(s.service)) AS services,
    arraySort(groupUniqArray(s.agent)) AS agents,
    sum(r.input_tokens) AS input_tokens,
    sum(r.output_tokens) AS output_tokens,
    sum(r.cached_tokens) AS cached_tokens,
    sum(r.cost_usd) AS cost_usd,
    countIf(s.status = 'failure') AS failed_runs,
    countIf(s.status = 'partial') AS partial_runs,
    arraySort(groupUniqArrayIf(r.failure_code, r.failure_code != '')) AS failure_codes
FROM {{table agent_session_index}} AS s
{{global}} LEFT JOIN (
    SELECT run_id, input_tokens, output_tokens, cached_tokens, cost_usd, failure_code
    FROM {{table agent_runs}}
    WHERE run_id {{global}} IN (SELECT run_id FROM {{table agent_session_index}})
) AS r ON s.run_id = r.run_id
GROUP BY s.session_id
{{view_settings}};

-- One row per feedback: each gen_ai.evaluation.result event, and each
-- feedback span of the earlier shape (no such event, gen_ai.evaluation.* on
-- the span). Tied to its run by agenttrace.feedback.run_id, else by the
-- evaluated span (a run span or a step carrying agenttrace.run.id), else by
-- its first link to a run span, else by gen_ai.response.id.
CREATE OR REPLACE VIEW {{table agent_feedback}} {{on_cluster}} AS
WITH
    runs AS (
        SELECT
            {{fragment run_id_v1}} AS run_id,
            lower(SpanId) AS run_span_id,
            SpanAttributes['gen_ai.agent.name'] AS agent,
            SpanAttributes['gen_ai.agent.version'] AS agent_version,
            SpanAttributes['agenttrace.variant'] AS variant
        FROM {{table otel_traces}}
        WHERE SpanAttributes['gen_ai.operation.name'] = 'invoke_agent'
    ),
    feedback AS (
        SELECT
            TraceId AS trace_id,
            SpanId AS span_id,
            SpanAttributes['agenttrace.feedback.run_id'] AS own_run_id,
            lower(Links.SpanId[1]) AS linked_span_id,
            if(SpanAttributes['gen_ai.evaluation.name'] != '', SpanAttributes['gen_ai.evaluation.name'],
                substring(SpanName, length('feedback ') + 1)) AS metric,
            toFloat64OrNull(SpanAttributes['gen_ai.evaluation.score.value']) AS score_value,
            SpanAttributes['gen_ai.evaluation.score.label'] AS score_label,
            '' AS response_id,
            'span' AS source,
            Timestamp AS created_at,
            ServiceName AS service,
            ResourceAttributes['deployment.environment.name'] AS environment
        FROM {{table otel_traces}}
        WHERE (SpanAttributes['gen_ai.evaluation.name'] != '' OR SpanName LIKE 'feedback %')
            AND NOT has(Events.Name, 'gen_ai.evaluation.result')
        UNION ALL
        SELECT
            TraceId AS trace_id,
            SpanId AS span_id,
            multiIf(SpanAttributes['agenttrace.feedback.run_id'] != '', SpanAttributes['agenttrace.feedback.run_id'],
                SpanAttributes['gen_ai.operation.name'] = 'invoke_agent', {{fragment run_id_v1}},
                SpanAttributes['agenttrace.run.id']) AS own_run_id,
            lower(Links.SpanId[1]) AS linked_span_id,
            event.2['gen_ai.evaluation.name'] AS metric,
            toFloat64OrNull(event.2['gen_ai.evaluation.score.value']) AS score_value,
            event.2['gen_ai.evaluation.score.label'] AS score_label,
            event.2['gen_ai.response.id'] AS response_id,
            'event' AS source,
            event.3 AS created_at,
            ServiceName AS service,
            ResourceAttributes['deployment.environment.name'] AS environment
        FROM {{table otel_traces}}
        ARRAY JOIN arrayZip(Events.Name, Events.Attributes, Events.Timestamp) AS event
        WHERE event.1 = 'gen_ai.evaluation.result'
    ),
    responses AS (
        SELECT
            SpanAttributes['gen_ai.response.id'] AS response_id,
            any(if(SpanAttributes['agenttrace.run.id'] != '', SpanAttributes['agenttrace.run.id'],
                lower(TraceId))) AS run_id
        FROM {{table otel_traces}}
        WHERE SpanAttributes['gen_ai.response.id'] != ''
        GROUP BY response_id
    ),
    linked AS (
        SELECT f.*, multiIf(f.own_run_id != '', f.own_run_id, l.run_id != '', l.run_id, p.run_id) AS run_id
        FROM feedback AS f
        {{global}} LEFT JOIN runs AS l ON f.linked_span_id = l.run_span_id
        {{global}} LEFT JOIN responses AS p ON f.response_id = p.response_id
    )
SELECT
    f.run_id AS run_id,
    f.trace_id AS trace_id,
    f.span_id AS span_id,
    f.metric AS metric,
    f.score_value AS score_value,
    f.score_label AS score_label,
    f.response_id AS response_id,
    f.source AS source,
    f.created_at AS created_at,
    r.agent AS agent,
    r.agent_version AS agent_version,
    r.variant AS variant,
    f.service AS service,
    f.environment AS environment
FROM linked AS f
{{global}} LEFT JOIN runs AS r ON f.run_id = r.run_id
{{view_settings}};
