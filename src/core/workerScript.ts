import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker from a module that sits beside the caller. Built code runs the `.js` file.
 * Source run through tsx (tests, benchmarks) runs the `.ts` file: the worker registers tsx's
 * loader first, since a worker does not inherit the loader of its parent.
 */
export function startModuleWorker(callerUrl: string, baseName: string, options: WorkerOptions = {}): Worker {
  return startWorker(new URL(`./${baseName}${callerUrl.endsWith('.ts') ? '.ts' : '.js'}`, callerUrl), options);
}

/** Starts a worker from a module URL, `.js` or (through tsx) `.ts`. */
export function startWorker(url: URL, options: WorkerOptions = {}): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, options);
  const api = import.meta.resolve('tsx/esm/api');
  const bootstrap =
    `import(${JSON.stringify(api)})` +
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}
