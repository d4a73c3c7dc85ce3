// piscina starts its workers with plain Node, which cannot load TypeScript: register tsx's loader
// in the worker, then hand piscina the demo's task. (A built application points `filename` at its
// compiled .js task and needs none of this.)
const { register } = await import('tsx/esm/api');
register();
const task = await import('./task.ts');
export default task.default;
