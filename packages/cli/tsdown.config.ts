/**
 * Build of `@agenttrace/cli`. The collector and the demo agents are private
 * workspace packages: they are bundled into the CLI, and their own
 * dependencies are the CLI's. The public packages stay dependencies.
 */
import { packageBuild } from '../../tsdown.base.js';

export default packageBuild({
  entry: { main: 'src/main.ts' },
  deps: {
    alwaysBundle: ['@agenttrace/collector', '@agenttrace/examples', /^@agenttrace\/examples\//],
  },
});
