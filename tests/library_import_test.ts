// How a script outside this checkout imports the library, as the README's Library section
// says: an import map in the script's own deno.json, or a path in the import.
import { relative as relativePath } from "node:path";
import { assertEquals } from "./_assert.ts";

const MOD = new URL("../mod.ts", import.meta.url);

Deno.test("a script outside the checkout imports the library through its own import map", async () => {
  const dir = await Deno.makeTempDir({ prefix: "socketkit-outside-" });
  try {
    const relative = relativePath(dir, MOD.pathname);
    await Deno.writeTextFile(
      `${dir}/deno.json`,
      JSON.stringify({ imports: { "@socketkit/socketkit": relative } }),
    );
    const script = `
import { joinHostPort, splitHostPort } from "@socketkit/socketkit";
import { dial } from ${JSON.stringify(relative)};
console.log(joinHostPort(splitHostPort("[::1]:3490").hostname, 80), typeof dial);
`;
    await Deno.writeTextFile(`${dir}/script.ts`, script);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--quiet", "--allow-net", "script.ts"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    assertEquals([out.code, text(out.stderr), text(out.stdout)], [0, "", "[::1]:80 function\n"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
