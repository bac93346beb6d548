/** Build of `@agenttrace/integrations`: one entry per integration subpath. */
import { packageBuild } from '../../tsdown.base.js';

export default packageBuild({ entry: { langchain: 'src/langchain-handler.ts' } });
