// workerd's node:async_hooks (nodejs_compat), as far as src/shards/d1-meter.ts
// uses it: the project carries no Node types, which would clash with workerd's.
declare module "node:async_hooks" {
  export class AsyncLocalStorage<T> {
    run<R>(store: T, callback: () => R): R;
    getStore(): T | undefined;
  }
}
