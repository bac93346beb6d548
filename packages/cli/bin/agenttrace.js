#!/usr/bin/env node
// Runs the TypeScript sources through tsx's loader; a published build would import dist/ instead.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
