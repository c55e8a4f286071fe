import lazyPackages from './lazy-packages.cjs';

type LazyPackage = keyof typeof lazyPackages;

/**
 * A package a command requires only when it needs it (the Grafana SDK, the PromQL grammar, Handlebars, the `yaml`
 * library): required at the first call, through lazy-packages.cjs, whose literal names let the command line's script
 * carry the package (a createRequire() of the package would load it from node_modules instead).
 */
export function requirePackage<T>(name: LazyPackage): T {
  return lazyPackages[name]() as T;
}
