/** A route option's hooks (one, a list, or none) with `first` in front: for onRoute hooks that add a per-route check. */
export function withFirst<T>(existing: T | T[] | undefined, first: T): T[] {
  return [first, ...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing])];
}
