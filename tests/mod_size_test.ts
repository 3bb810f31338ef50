// Issue 18: the library's entry point stays small, at most 24 values (types are free).
import { assert } from "./_assert.ts";
import * as mod from "../mod.ts";

Deno.test("mod.ts exports at most 24 values", () => {
  const values = Object.keys(mod);
  assert(values.length <= 24, `${values.length} values: ${values.join(", ")}`);
});
