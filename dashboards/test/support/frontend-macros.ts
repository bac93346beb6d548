/**
 * What Grafana's frontend does to a ClickHouse query before sending it:
 * `$__conditionalAll(cond, $var)` → `1=1` when `$var` is All or empty, else
 * `cond` (`CHDatasource.applyConditionalAll`), then dashboard variables
 * (`$var`, `${var}`, `[[var]]`, `${var:format}`), multi-value and All,
 * formatted by the plugin's `format`: an array becomes `'a','b'`, a single
 * value is put in raw (`templateSrv.replace`).
 */
import { ALL, currentText, type VariableState } from './variable-state.js';

/** Arguments of the call whose `(` is at `argsIndex` (CHDatasource.getMacroArgs). */
function getMacroArgs(query: string, argsIndex: number): string[] {
  const args: string[] = [];
  const re = /\(|\)|,/g;
  let bracketCount = 0;
  let lastArgEndIndex = 1;
  const argsSubstr = query.substring(argsIndex);
  let match: RegExpExecArray | null;
  while ((match = re.exec(argsSubstr)) !== null) {
    const found = match[0];
    if (found === '(') bracketCount++;
    else if (found === ')') bracketCount--;
    if (found === ',' && bracketCount === 1) {
      args.push(argsSubstr.substring(lastArgEndIndex, re.lastIndex - 1));
      lastArgEndIndex = re.lastIndex;
    }
    if (bracketCount === 0) {
      args.push(argsSubstr.substring(lastArgEndIndex, re.lastIndex - 1));
      return args;
    }
  }
  return [];
}

/** Step 1: `$__conditionalAll`, exactly as the plugin's frontend applies it. */
export function applyConditionalAll(rawQuery: string, variables: readonly VariableState[]): string {
  if (!rawQuery) return rawQuery;
  const macro = '$__conditionalAll(';
  let macroIndex = rawQuery.lastIndexOf(macro);
  while (macroIndex !== -1) {
    const params = getMacroArgs(rawQuery, macroIndex + macro.length - 1);
    if (params.length !== 2) return rawQuery;
    const [condition = '', varParam = ''] = params;
    const templateVar = /(?<=\$\{)[\w\d]+(?=\})|(?<=\$)[\w\d]+/.exec(varParam.trim());
    let phrase = condition;
    if (templateVar) {
      const value = currentText(variables.find((v) => v.name === templateVar[0]));
      if (value === '' || value === ALL) phrase = '1=1';
    }
    rawQuery = rawQuery.replace(`${macro}${condition},${varParam})`, phrase);
    macroIndex = rawQuery.lastIndexOf(macro);
  }
  return rawQuery;
}

/** Grafana's variable syntax (`templateSrv` `variableRegex`). */
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

function formatValue(value: string | string[], format: string | undefined): string {
  const values = Array.isArray(value) ? value : [value];
  switch (format) {
    case undefined:
      // The plugin's format function (CHDatasource.format).
      return Array.isArray(value) ? `'${value.join("','")}'` : value;
    case 'raw':
    case 'csv':
      return values.join(',');
    case 'singlequote':
      return values.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');
    case 'sqlstring':
      return values.map((v) => `'${v.replace(/'/g, "''")}'`).join(',');
    default:
      throw new Error(`variable format ${format} is not supported by this expander`);
  }
}

/** Step 2: dashboard variables, as `templateSrv.replace` with the plugin's format. */
export function replaceVariables(rawQuery: string, variables: readonly VariableState[]): string {
  return rawQuery.replace(
    VARIABLE,
    (
      match,
      plain?: string,
      bracket?: string,
      bracketFormat?: string,
      braced?: string,
      _path?: string,
      bracedFormat?: string,
    ) => {
      const name = plain ?? bracket ?? braced;
      const variable = variables.find((v) => v.name === name);
      if (variable === undefined) return match;
      const isAll = currentText(variable) === ALL && variable.includeAll === true;
      const value: string | string[] = isAll
        ? (variable.allValue ?? [...(variable.options ?? [])])
        : variable.current;
      return formatValue(value, bracketFormat ?? bracedFormat);
    },
  );
}
