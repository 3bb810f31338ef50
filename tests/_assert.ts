// The runtime's own assertions (JSR's @std/assert cannot be reached here).
export {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
  rejects as assertRejects,
  throws as assertThrows,
} from "node:assert/strict";

import { match, ok } from "node:assert/strict";

/**
 * A check for `assertRejects`/`assertThrows`: the error is a `type` (an instance of it) and,
 * when given, `pattern` matches its `name: message`.
 * `await assertRejects(() => resolve("", 1), errorOf(ResolveError, /empty host name/))`.
 */
export function errorOf(
  type: abstract new (...args: never[]) => Error,
  pattern?: RegExp,
): (err: unknown) => true {
  return (err) => {
    ok(err instanceof type, `expected a ${type.name}, got ${String(err)}`);
    if (pattern) match(`${err.name}: ${err.message}`, pattern);
    return true;
  };
}
