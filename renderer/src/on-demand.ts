/**
 * Parts of the first view that only some states need (the download rows once a download exists,
 * the fix for a server that is not online), loaded on demand to keep the first view's JavaScript
 * small, yet rendered at once where the page cannot wait: web mode's server renders the first view
 * in one synchronous pass and hands these modules over already imported, and the page loads the
 * ones its first snapshot needs before hydrating that markup.
 */
export interface OnDemand<M> {
  /** Fetches the module, once (App's `preloadOnDemand` asks in idle time). */
  load(): Promise<M>;
  /** Hands over the module already imported: nothing suspends for it from then on. */
  provide(module: M): void;
  /** During a render: the module, suspending (under a Suspense boundary) until it is here. */
  read(): M;
}

export function onDemand<M>(importModule: () => Promise<M>): OnDemand<M> {
  let module: M | null = null;
  let loading: Promise<M> | null = null;
  let failure: unknown = null;
  const load = () => {
    loading ??= importModule().then(
      (imported) => {
        module = imported;
        return imported;
      },
      (error: unknown) => {
        failure = error;
        throw error;
      },
    );
    return loading;
  };
  return {
    load,
    provide(imported) {
      module = imported;
    },
    read() {
      if (module) return module;
      // A chunk that could not be fetched is an error, as with React.lazy (not a wait forever).
      if (failure) throw failure;
      // Suspense's own protocol (as React.lazy's): the boundary shows its fallback, then renders again.
      throw load();
    },
  };
}
