// The runtime's own assertions (JSR's @std/assert cannot be reached here).
export {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
  rejects as assertRejects,
  throws as assertThrows,
} from "node:assert/strict";
