// piscina starts its workers with plain Node, which cannot load a .ts module: register tsx's
// loader in the worker, then hand piscina the task of threadsTask.ts (as
// test/fixtures/service-pool-bootstrap.mjs does).
const { register } = await import('tsx/esm/api');
register();
const task = await import('./threadsTask.ts');
export default task.default;
