// Module resolution hook for running the CLI from a checkout: workspace
// packages resolve to their TypeScript sources (the `@agenttrace/source`
// condition, first in each of their `exports` entries) instead of dist/.
export async function resolve(specifier, context, nextResolve) {
  const conditions = ['@agenttrace/source', ...(context.conditions ?? [])];
  return nextResolve(specifier, { ...context, conditions });
}
