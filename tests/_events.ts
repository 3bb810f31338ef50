// Test helpers for the views: the --json schema, checked with a real validator (ajv).
import { Ajv2020 } from "npm:ajv@8.17.1/dist/2020.js";
import addFormatsModule from "npm:ajv-formats@3.0.1";

const schema = JSON.parse(
  await Deno.readTextFile(new URL("../schema/events.schema.json", import.meta.url)),
);
// ajv-formats is CommonJS: its function is the default export (or its `default`).
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as (ajv: InstanceType<typeof Ajv2020>) => void;
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(schema);

/** One --json event. */
export type JsonEvent = Record<string, unknown> & { event: string; tool: string; time: string };

/**
 * Parses a tool's --json stdout: every line must be one JSON object valid against
 * schema/events.schema.json (else this throws, naming the line and the schema's complaint).
 */
export function parseEvents(stdout: string): JsonEvent[] {
  const lines = stdout.split("\n");
  if (lines.pop() !== "") throw new Error(`--json output does not end with a newline:\n${stdout}`);
  return lines.map((line) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`not JSON: ${JSON.stringify(line)}`);
    }
    if (!validate(value)) {
      throw new Error(`invalid event ${line}: ${ajv.errorsText(validate.errors)}`);
    }
    return value as JsonEvent;
  });
}
