/**
 * Checks that a user's SQL is exactly one plain SELECT that stays inside the
 * store, with the engine's own parser: `formatQuerySingleLine` (the text
 * passed as a query parameter, so it is never executed) normalises it and
 * refuses a second statement; `EXPLAIN AST` of the normalised text dumps the
 * tree this module walks. What runs afterwards is that normalised text, so
 * what was checked is what runs.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  engineMessage,
  isEngineError,
  SqlInvalidError,
  SqlRefusedError,
} from './sql-sandbox-errors.js';

/**
 * Table functions a sandboxed read may use: generators that read nothing
 * outside the query. (`zeros` is not here: the engine refuses it in readonly mode.)
 */
export const ALLOWED_TABLE_FUNCTIONS: readonly string[] = [
  'numbers',
  'numbers_mt',
  'generateSeries',
  'generate_series',
  'values',
  'null',
];

/**
 * Table functions of the engine (ClickHouse 26.7 in chDB 3.4, from
 * `system.table_functions`) plus chDB's `python`. Outside the allowlist they
 * are refused in `FROM` by the allowlist and, by this list, anywhere else
 * (`1 IN file('/etc/passwd')` reads the file).
 */
const TABLE_FUNCTION_NAMES: readonly string[] = [
  'arrowstream', 'azureblobstorage', 'azureblobstoragecluster', 'cluster', 'clusterallreplicas',
  'cosn', 'deltalake', 'deltalakeazure', 'deltalakeazurecluster', 'deltalakecluster',
  'deltalakelocal', 'deltalakes3', 'deltalakes3cluster', 'dictionary', 'eval', 'executable',
  'file', 'filecluster', 'filesystem', 'fuzzjson', 'fuzzquery', 'gcs', 'generaterandom', 'hdfs',
  'hdfscluster', 'hudi', 'hudicluster', 'iceberg', 'icebergazure', 'icebergazurecluster',
  'icebergcluster', 'iceberghdfs', 'iceberghdfscluster', 'iceberglocal', 'iceberglocalcluster',
  'icebergs3', 'icebergs3cluster', 'input', 'jdbc', 'loop', 'merge', 'mergetreeanalyzeindexes',
  'mergetreeanalyzeindexesuuid', 'mergetreeindex', 'mergetreeprojection', 'mergetreetextindex',
  'mongodb', 'mysql', 'odbc', 'oss', 'paimon', 'paimonazure', 'paimonazurecluster',
  'paimoncluster', 'paimonhdfs', 'paimonhdfscluster', 'paimonlocal', 'paimons3',
  'paimons3cluster', 'postgresql', 'primes', 'prometheusquery', 'prometheusqueryrange', 'python',
  'redis', 'remote', 'remotesecure', 's3', 's3cluster', 'sqlite', 'sqlstandardvalues',
  'timeseriesdata', 'timeseriesmetrics', 'timeseriessamples', 'timeseriesselector',
  'timeseriestags', 'url', 'urlcluster', 'view', 'viewexplain', 'viewifpermitted', 'ytsaurus',
  'zeros', 'zeros_mt',
]; // prettier-ignore

/** Scalar functions that read outside the store: a file, or a model file on disk. */
const OUTSIDE_SCALAR_FUNCTIONS: readonly string[] = ['file', 'catboostevaluate'];

const allowedTable = new Set(ALLOWED_TABLE_FUNCTIONS.map((n) => n.toLowerCase()));
/** `format` is also the string function `format('{} {}', a, b)`, and reads nothing. */
const refusedAnywhere = new Set(
  [...TABLE_FUNCTION_NAMES, ...OUTSIDE_SCALAR_FUNCTIONS].filter(
    (n) => !allowedTable.has(n) && n !== 'format',
  ),
);

/** The query nodes a SELECT is made of; any other `…Query` node is another statement. */
const SELECT_NODES = new Set([
  'SelectWithUnionQuery',
  'SelectQuery',
  'SelectIntersectExceptQuery',
  'TablesInSelectQuery',
]);

/** One node of the engine's `EXPLAIN AST` dump. */
export interface AstNode {
  /** Node type, e.g. `SelectQuery`, `Function`, `TableExpression`. */
  readonly type: string;
  /** The rest of its label: a function or table name, a literal. */
  readonly label: string;
  readonly children: AstNode[];
}

/** Splits the dump into rows: CSV (chDB's default output) with quoted fields, or plain lines. */
function dumpRows(text: string): string[] {
  const rows: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      let row = '';
      i += 1;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted row in the AST dump');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            row += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        row += text[i];
        i += 1;
      }
      rows.push(row);
      while (i < text.length && text[i] !== '\n') i += 1;
      i += 1;
    } else {
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? text.length : end;
      const row = text.slice(i, stop).replace(/\r$/, '');
      if (row !== '') rows.push(row);
      i = stop + 1;
    }
  }
  return rows;
}

/**
 * Parses an `EXPLAIN AST` dump (one node a row, indented one space a level)
 * into its tree. Throws when the dump is not one well-formed tree.
 */
export function parseAstDump(text: string): AstNode {
  const rows = dumpRows(text);
  const stack: AstNode[] = [];
  let root: AstNode | undefined;
  for (const row of rows) {
    const depth = row.length - row.trimStart().length;
    const body = row.trimStart().replace(/ \(children \d+\)$/, '');
    const space = body.indexOf(' ');
    const node: AstNode = {
      type: space === -1 ? body : body.slice(0, space),
      label: space === -1 ? '' : body.slice(space + 1),
      children: [],
    };
    if (depth === 0) {
      if (root !== undefined) throw new Error('the AST dump holds more than one tree');
      root = node;
    } else {
      const parent = stack[depth - 1];
      if (parent === undefined || depth > stack.length) throw new Error('malformed AST dump');
      parent.children.push(node);
    }
    stack.length = depth;
    stack.push(node);
  }
  if (root === undefined) throw new Error('empty AST dump');
  return root;
}

/** The function name of a `Function` node's label (`file (alias f)` → `file`). */
function functionName(node: AstNode): string {
  const space = node.label.indexOf(' ');
  return space === -1 ? node.label : node.label.slice(0, space);
}

function refuseExtraClause(node: AstNode): never {
  if (node.type === 'Literal')
    throw new SqlRefusedError(
      'into-outfile',
      'INTO OUTFILE',
      `INTO OUTFILE ${node.label} is refused: a read-only query never writes files`,
    );
  if (node.type === 'Identifier')
    throw new SqlRefusedError(
      'format',
      `FORMAT ${node.label}`,
      `FORMAT ${node.label} is refused: the sandbox chooses the output format`,
    );
  if (node.type === 'Set') refuseSettings();
  throw new SqlRefusedError('statement', node.type, `the clause ${node.type} is refused`);
}

function refuseSettings(): never {
  throw new SqlRefusedError(
    'settings',
    'SETTINGS',
    'a SETTINGS clause is refused: the sandbox sets its own limits',
  );
}

/** Walks the tree; throws a {@link SqlRefusedError} at the first thing refused. */
export function checkAst(root: AstNode, statement: string): void {
  if (root.type !== 'SelectWithUnionQuery') {
    const kind = /^\S+/.exec(statement)?.[0]?.toUpperCase() ?? root.type;
    throw new SqlRefusedError(
      'statement',
      kind,
      `only one SELECT is allowed: ${kind} statements are refused`,
    );
  }
  const visit = (node: AstNode, parent: AstNode | undefined): void => {
    if (node.type === 'Set') refuseSettings();
    if (node.type === 'Explain' || (node.type.endsWith('Query') && !SELECT_NODES.has(node.type)))
      throw new SqlRefusedError(
        'statement',
        node.type,
        `only one SELECT is allowed: ${node.type} is refused`,
      );
    if (node.type === 'SelectWithUnionQuery') {
      const extra = node.children.slice(1)[0];
      if (extra !== undefined) refuseExtraClause(extra);
    }
    if (node.type === 'Function') {
      const name = functionName(node);
      const lower = name.toLowerCase();
      if (parent?.type === 'TableExpression' && !allowedTable.has(lower))
        throw new SqlRefusedError(
          'table-function',
          name,
          `table function ${name}() in FROM is refused: it reaches outside the store (allowed: ${ALLOWED_TABLE_FUNCTIONS.join(', ')})`,
        );
      if (parent?.type !== 'TableExpression' && refusedAnywhere.has(lower))
        throw new SqlRefusedError(
          'function',
          name,
          `function ${name}() is refused: it reads outside the store`,
        );
    }
    for (const child of node.children) visit(child, node);
  };
  visit(root, undefined);
}

/**
 * Normalises `sql` with the engine's formatter, checks its tree, and
 * returns the normalised single-line SELECT (no comments, no trailing `;`).
 *
 * @example
 * const text = await checkReadOnlySelect(client, 'SELECT 1; -- hi');
 * // 'SELECT 1'
 */
export async function checkReadOnlySelect(client: ClickHouseClient, sql: string): Promise<string> {
  let statement: string;
  try {
    const result = await client.query({
      query: 'SELECT formatQuerySingleLine({q:String}) AS f',
      query_params: { q: sql },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ f: string }>();
    statement = row?.f ?? '';
  } catch (err) {
    if (!isEngineError(err)) throw err;
    const message = engineMessage(err);
    const multi = /Multi-statements are not allowed\): failed at position (\d+)/.exec(message);
    if (multi)
      throw new SqlRefusedError(
        'multiple-statements',
        `position ${multi[1]}`,
        `only one statement is allowed: a second one starts at position ${multi[1]}`,
      );
    throw new SqlInvalidError(`the query does not parse: ${message}`, err.type, { cause: err });
  }
  let dump: string;
  try {
    const explained = await client.exec({ query: `EXPLAIN AST ${statement}` });
    const chunks: Buffer[] = [];
    for await (const chunk of explained.stream as AsyncIterable<Buffer | string>)
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    dump = Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    if (!isEngineError(err)) throw err;
    throw new SqlInvalidError(`the query does not parse: ${engineMessage(err)}`, err.type, {
      cause: err,
    });
  }
  let root: AstNode;
  try {
    root = parseAstDump(dump);
  } catch (err) {
    // Fail closed: a tree this module cannot read is not run.
    throw new SqlRefusedError(
      'statement',
      'unreadable',
      `the query was refused: its parse tree could not be checked (${(err as Error).message})`,
    );
  }
  checkAst(root, statement);
  return statement;
}
