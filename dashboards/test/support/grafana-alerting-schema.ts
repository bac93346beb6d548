/**
 * Grafana's alerting provisioning file format (rules only) as a zod schema:
 * the fields and the checks Grafana applies when it loads the file, read
 * from grafana/grafana `pkg/services/provisioning/alerting/types.go`
 * (`AlertingFileV1`) and `rules_types.go` (`AlertRuleGroupV1.MapToModel`,
 * `AlertRuleV1.mapToModel`, `QueryV1`), commit 9ff3317d. Grafana ignores
 * unknown keys; this schema refuses them, so a misspelt key is caught.
 */
import { z } from 'zod';

/** Prometheus `model.ParseDuration`: units y w d h m s ms, largest first, at least one. */
const PROM_DURATION = /^(?:0|(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?)$/;
const duration = z
  .string()
  .refine((v) => v !== '' && PROM_DURATION.test(v), 'a Prometheus duration such as 1m or 1h30m');
/** Alert rule UIDs: at most 40 of letters, digits, - and _ (ngalert `ValidateUID`). */
const uid = z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/, 'a uid of 1..40 letters, digits, - and _');
const nonBlank = z.string().refine((v) => v.trim() !== '', 'not blank');
/** Server-side expression types Grafana evaluates (`expr.QueryType*`). */
const EXPRESSION_TYPES = ['math', 'reduce', 'resample', 'classic_conditions', 'threshold', 'sql'];

const query = z
  .object({
    refId: nonBlank,
    queryType: z.string().optional(),
    relativeTimeRange: z
      .object({ from: z.number().int().min(0), to: z.number().int().min(0) })
      .strict()
      .refine((r) => r.from >= r.to, 'from (seconds ago) >= to'),
    datasourceUid: nonBlank,
    model: z.record(z.string(), z.unknown()),
  })
  .strict()
  .superRefine((q, ctx) => {
    if (q.model.refId !== undefined && q.model.refId !== q.refId)
      ctx.addIssue({ code: 'custom', message: `model.refId must be ${q.refId}` });
    if (q.datasourceUid === '__expr__' && !EXPRESSION_TYPES.includes(String(q.model.type)))
      ctx.addIssue({ code: 'custom', message: `expression type ${String(q.model.type)} unknown` });
  });

const rule = z
  .object({
    uid,
    title: nonBlank,
    condition: nonBlank,
    data: z.array(query).min(1),
    dashboardUid: z.string().optional(),
    panelId: z.number().int().optional(),
    noDataState: z.enum(['Alerting', 'NoData', 'OK', 'KeepLast']).optional(),
    execErrState: z.enum(['Alerting', 'Error', 'OK', 'KeepLast']).optional(),
    for: duration.optional(),
    keepFiringFor: duration.optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    labels: z.record(z.string(), z.string()).optional(),
    isPaused: z.boolean().optional(),
  })
  .strict()
  .refine((r) => r.data.some((d) => d.refId === r.condition), {
    message: 'condition must be the refId of one of the rule data',
  })
  .refine((r) => new Set(r.data.map((d) => d.refId)).size === r.data.length, {
    message: 'refIds must be unique within a rule',
  });

const group = z
  .object({
    orgId: z.number().int().optional(),
    name: nonBlank,
    folder: nonBlank,
    interval: duration,
    rules: z.array(rule),
  })
  .strict();

/** An alerting provisioning file holding rule groups (apiVersion 1). */
export const grafanaAlertingFile = z
  .object({ apiVersion: z.literal(1), groups: z.array(group).min(1) })
  .strict()
  .refine(
    (f) => {
      const uids = f.groups.flatMap((g) => g.rules.map((r) => r.uid));
      return new Set(uids).size === uids.length;
    },
    { message: 'rule uids must be unique' },
  );
