/** Build of `@agenttrace/sdk`. */
import { packageBuild } from '../../tsdown.base.js';

export default packageBuild({ entry: { index: 'src/index.ts' } });
