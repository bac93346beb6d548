/** Writes `collector/contrib/otelcol-config.yaml` from the default policy. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { contribCollectorConfig } from './contrib-config.js';

const target = fileURLToPath(new URL('../../contrib/otelcol-config.yaml', import.meta.url));
writeFileSync(target, contribCollectorConfig());
process.stdout.write(`wrote ${target}\n`);
