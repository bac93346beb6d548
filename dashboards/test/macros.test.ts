/**
 * The macro expander against the plugin's own test cases
 * (pkg/macros/macros_test.go, src/data/CHDatasource.test.ts), so the query
 * tests run the SQL Grafana would send.
 */
import { describe, expect, it } from 'vitest';
import {
  applyConditionalAll,
  interpolateMacros,
  renderQuery,
  replaceVariables,
  type QueryContext,
} from './support/grafana-macros.js';

const ctx: QueryContext = {
  from: new Date('2014-11-12T11:45:26.123Z'),
  to: new Date('2015-11-12T11:45:26.456Z'),
  intervalMs: 60_000,
};

describe('grafana-macros', () => {
  describe('interpolateMacros', () => {
    it.each([
      [
        'select * from foo where $__timeFilter(cast(sth as timestamp))',
        'select * from foo where cast(sth as timestamp) >= toDateTime(1415792726) AND cast(sth as timestamp) <= toDateTime(1447328726)',
      ],
      [
        'select * from foo where $__timeFilter(cast(sth as timestamp) )',
        'select * from foo where cast(sth as timestamp) >= toDateTime(1415792726) AND cast(sth as timestamp) <= toDateTime(1447328726)',
      ],
      [
        'select * from foo where $__timeFilter_ms(cast(sth as timestamp))',
        'select * from foo where cast(sth as timestamp) >= fromUnixTimestamp64Milli(1415792726123) AND cast(sth as timestamp) <= fromUnixTimestamp64Milli(1447328726456)',
      ],
      [
        'select * from foo where ( date >= $__fromTime and date <= $__toTime ) limit 100',
        'select * from foo where ( date >= toDateTime(1415792726) and date <= toDateTime(1447328726) ) limit 100',
      ],
      [
        'select * from foo where ( date >= $__fromTime_ms ) and ( date <= $__toTime_ms ) limit 100',
        'select * from foo where ( date >= fromUnixTimestamp64Milli(1415792726123) ) and ( date <= fromUnixTimestamp64Milli(1447328726456) ) limit 100',
      ],
      [
        '$__dateFilter(dateCol)',
        "dateCol >= toDate('2014-11-12') AND dateCol <= toDate('2015-11-12')",
      ],
      [
        '$__dateTimeFilter(dateCol, timeCol)',
        "(dateCol >= toDate('2014-11-12') AND dateCol <= toDate('2015-11-12')) AND (timeCol >= toDateTime(1415792726) AND timeCol <= toDateTime(1447328726))",
      ],
      ['$__timeFrom(ts)', 'ts >= toDateTime(1415792726)'],
      ['$__timeTo(ts)', 'ts <= toDateTime(1447328726)'],
      ['$__timeGroup(ts, 5m)', 'toStartOfInterval(toDateTime(ts), INTERVAL 300 second)'],
      ['$__timeGroup(ts, 1h)', 'toStartOfInterval(toDateTime(ts), INTERVAL 3600 second)'],
      ['$__timeInterval(col)', 'toStartOfInterval(toDateTime(col), INTERVAL 60 second)'],
      [
        '$__timeInterval_ms(col)',
        'toStartOfInterval(toDateTime64(col, 3), INTERVAL 60000 millisecond)',
      ],
      ['$__interval_s', '60'],
    ])('expands %s', (input, output) => {
      expect(interpolateMacros(input, ctx)).toBe(output);
    });

    it('uses at least one second for $__timeInterval', () => {
      expect(interpolateMacros('$__timeInterval(col)', { ...ctx, intervalMs: 20 })).toBe(
        'toStartOfInterval(toDateTime(col), INTERVAL 1 second)',
      );
    });

    it.each([
      [
        'SELECT $__timeInterval($__fromTime) AS from_time',
        'SELECT toStartOfInterval(toDateTime(toDateTime(1415792726)), INTERVAL 60 second) AS from_time',
      ],
      [
        'SELECT $__timeInterval_ms($__fromTime_ms)',
        'SELECT toStartOfInterval(toDateTime64(fromUnixTimestamp64Milli(1415792726123), 3), INTERVAL 60000 millisecond)',
      ],
      [
        'select * from foo where $__timeFilter(coalesce(closed_at, $__toTime))',
        'select * from foo where coalesce(closed_at, toDateTime(1447328726)) >= toDateTime(1415792726) AND coalesce(closed_at, toDateTime(1447328726)) <= toDateTime(1447328726)',
      ],
    ])('expands nested macros innermost first: %s', (input, output) => {
      expect(interpolateMacros(input, ctx)).toBe(output);
    });

    it.each([
      [
        "select * from foo where msg = 'it\\'s -- fine' and $__fromTime",
        "select * from foo where msg = 'it\\'s -- fine' and toDateTime(1415792726)",
      ],
      [
        "select * from foo where msg = 'it''s' and $__fromTime",
        "select * from foo where msg = 'it''s' and toDateTime(1415792726)",
      ],
      [
        "SELECT `it's` AS x, msg FROM t WHERE msg = 'a--b' AND $__timeFilter(ts)",
        "SELECT `it's` AS x, msg FROM t WHERE msg = 'a--b' AND ts >= toDateTime(1415792726) AND ts <= toDateTime(1447328726)",
      ],
      [
        'SELECT $doc$a--b$doc$ AS x FROM t WHERE $__toTime',
        'SELECT $doc$a--b$doc$ AS x FROM t WHERE toDateTime(1447328726)',
      ],
    ])('keeps quoted text intact: %s', (input, output) => {
      expect(interpolateMacros(input, ctx)).toBe(output);
    });

    it('does not expand a macro inside a comment', () => {
      expect(interpolateMacros('SELECT 1 -- $__timeFilter()\n', ctx)).not.toContain(
        '$__timeFilter',
      );
    });

    it('rejects a wrong argument count, as the backend does', () => {
      expect(() => interpolateMacros('$__timeFilter()', ctx)).toThrow(/expected 1 argument/);
      expect(() => interpolateMacros('$__timeGroup(ts)', ctx)).toThrow(/expected 2 argument/);
      expect(() => interpolateMacros('$__timeGroup(ts, nope)', ctx)).toThrow(/invalid interval/);
    });

    it('leaves unknown macros as they are', () => {
      expect(interpolateMacros('SELECT $__unknown(x)', ctx)).toBe('SELECT $__unknown(x)');
    });
  });

  describe('applyConditionalAll', () => {
    const sql =
      'select stuff from table where $__conditionalAll(fieldVal in ($fieldVal), $fieldVal);';

    it('replaces the macro with 1=1 when All is selected', () => {
      expect(applyConditionalAll(sql, [{ name: 'fieldVal', current: '$__all' }])).toBe(
        'select stuff from table where 1=1;',
      );
    });

    it('keeps the condition when anything else is selected', () => {
      expect(applyConditionalAll(sql, [{ name: 'fieldVal', current: "'val1', 'val2'" }])).toBe(
        'select stuff from table where fieldVal in ($fieldVal);',
      );
    });

    it('replaces every macro', () => {
      const two =
        'select stuff from table where $__conditionalAll(fieldVal in ($fieldVal), $fieldVal) and $__conditionalAll(fieldVal in ($fieldVal2), $fieldVal2);';
      expect(
        applyConditionalAll(two, [
          { name: 'fieldVal', current: "'val1', 'val2'" },
          { name: 'fieldVal2', current: '$__all' },
        ]),
      ).toBe('select stuff from table where fieldVal in ($fieldVal) and 1=1;');
    });

    it('treats a multi-value All and an empty selection as All', () => {
      expect(
        applyConditionalAll('$__conditionalAll(foo, $v)', [{ name: 'v', current: ['$__all'] }]),
      ).toBe('1=1');
      expect(applyConditionalAll('$__conditionalAll(foo, $v)', [{ name: 'v', current: [] }])).toBe(
        '1=1',
      );
      expect(
        applyConditionalAll('$__conditionalAll(foo, ${v})', [{ name: 'v', current: ['a'] }]),
      ).toBe('foo');
    });
  });

  describe('replaceVariables', () => {
    const vars = [
      {
        name: 'agent',
        multi: true,
        includeAll: true,
        current: ['a', 'b'],
        options: ['a', 'b', 'c'],
      },
      { name: 'env', multi: true, includeAll: true, current: ['$__all'], options: ['prod', 'dev'] },
      { name: 'col', current: 'variant' },
    ];

    it('quotes multi-value selections and puts single values in raw', () => {
      expect(replaceVariables('agent IN ($agent) AND ${col} = [[col]]', vars)).toBe(
        "agent IN ('a','b') AND variant = variant",
      );
    });

    it('expands All to every option value', () => {
      expect(replaceVariables('env IN (${env})', vars)).toBe("env IN ('prod','dev')");
    });

    it('applies explicit formats', () => {
      expect(replaceVariables('${agent:csv} ${agent:singlequote}', vars)).toBe("a,b 'a','b'");
    });

    it('leaves the macros alone', () => {
      expect(replaceVariables('$__timeFilter(t) AND $__fromTime', vars)).toBe(
        '$__timeFilter(t) AND $__fromTime',
      );
    });
  });

  describe('renderQuery', () => {
    it('drops All filters, fills the others and expands the macros', () => {
      const rendered = renderQuery(
        'SELECT count() FROM agent_runs WHERE $__timeFilter(started_at) AND $__conditionalAll(agent IN ($agent), $agent) AND $__conditionalAll(environment IN ($env), $env)',
        [
          { name: 'agent', multi: true, includeAll: true, current: ['x'] },
          { name: 'env', multi: true, includeAll: true, current: ['$__all'] },
        ],
        ctx,
      );
      expect(rendered).toBe(
        "SELECT count() FROM agent_runs WHERE started_at >= toDateTime(1415792726) AND started_at <= toDateTime(1447328726) AND agent IN ('x') AND 1=1",
      );
    });
  });
});
