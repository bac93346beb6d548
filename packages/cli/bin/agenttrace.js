#!/usr/bin/env node
// The agenttrace command. Installed from the registry it runs the compiled CLI
// in dist/. In a checkout of the repository (src/ beside bin/, tsx installed)
// it runs the TypeScript sources, no build needed: tsx compiles them, and the
// workspace packages resolve to their sources through the `@agenttrace/source`
// export condition.
import { existsSync } from 'node:fs';
import { register } from 'node:module';

const source = new URL('../src/main.ts', import.meta.url);

/** tsx's loader API, when this is a checkout with dev dependencies installed. */
async function tsxApi() {
  if (!existsSync(source)) return undefined;
  try {
    return await import('tsx/esm/api');
  } catch {
    return undefined;
  }
}

const tsx = await tsxApi();
let cli;
if (tsx === undefined) {
  cli = await import('../dist/main.mjs');
} else {
  tsx.register();
  register('./source-condition.mjs', import.meta.url);
  cli = await import(source.href);
}
process.exitCode = await cli.main(process.argv);
