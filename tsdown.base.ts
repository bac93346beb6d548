/**
 * The one build of every public package: ESM and CommonJS, as the OTel JS
 * packages ship, each with its declarations and source maps. Dependencies and
 * peers stay external (tsdown reads them from the package's package.json).
 * Each package's `tsdown.config.ts` names its entries and what it adds.
 */
import { defineConfig, type UserConfig } from 'tsdown';

/** A package build: `entry` plus any option that differs from the shared ones. */
export function packageBuild(options: UserConfig & { entry: UserConfig['entry'] }): UserConfig {
  return defineConfig({
    format: ['esm', 'cjs'],
    platform: 'node',
    target: 'node20',
    tsconfig: 'tsconfig.build.json',
    dts: true,
    sourcemap: true,
    clean: true,
    // `import.meta.url` (the exporter finds its schema through it) works in the CommonJS build too
    shims: true,
    checks: { pluginTimings: false },
    ...options,
  });
}
