// The real renderers the diagram tests hold the files to: Mermaid (the npm package's own
// browser bundle, from the npm cache) in headless Chromium, served from a loopback server with
// no other network; rsvg-convert for SVG. Each is skipped with a printed reason where missing.
import mermaidPackage from "npm:mermaid@12.4.0/package.json" with { type: "json" };
import { hasCommand } from "../testing/commands.ts";

/** Where Chromium is (Debian's package), if it is installed. */
export const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});

/** Whether rsvg-convert (Debian's librsvg2-bin) is installed. */
export const HAS_RSVG: boolean = hasCommand("rsvg-convert");

/** The Mermaid version the tests render with (pinned). */
export const MERMAID_VERSION: string = mermaidPackage.version;

/** What Mermaid made of one source: its SVG, or the error it threw. */
export type MermaidResult = { ok: true; svg: string } | { ok: false; error: string };

const PAGE = `<!doctype html><meta charset="utf-8"><body><script src="/mermaid.js"></script><script>
(async () => {
  const results = [];
  try {
    mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
    const sources = await (await fetch("/sources")).json();
    for (let i = 0; i < sources.length; i++) {
      try {
        await mermaid.parse(sources[i]);
        const { svg } = await mermaid.render("d" + i, sources[i]);
        results.push({ ok: true, svg });
      } catch (e) {
        results.push({ ok: false, error: String((e && e.message) || e) });
      }
    }
  } catch (e) {
    results.push({ ok: false, error: "setup: " + e });
  }
  await fetch("/result", { method: "POST", body: JSON.stringify(results) });
})();
</script>`;

/**
 * Renders each Mermaid source with the real Mermaid in headless Chromium, all in one browser
 * run, bounded in time (60 s).
 */
export async function renderMermaid(sources: string[]): Promise<MermaidResult[]> {
  if (CHROMIUM === undefined) throw new Error("chromium is not installed");
  const bundle = await Deno.readFile(
    new URL(import.meta.resolve(`npm:mermaid@${MERMAID_VERSION}/dist/mermaid.min.js`)),
  );
  const { promise: result, resolve } = Promise.withResolvers<MermaidResult[]>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/") return new Response(PAGE, { headers: { "content-type": "text/html" } });
    if (path === "/mermaid.js") {
      return new Response(bundle, { headers: { "content-type": "text/javascript" } });
    }
    if (path === "/sources") return Response.json(sources);
    if (path === "/result" && req.method === "POST") {
      resolve(await req.json());
      return new Response("ok");
    }
    return new Response("not found", { status: 404 });
  });
  const profile = await Deno.makeTempDir({ prefix: "socketkit-chromium-" });
  const browser = new Deno.Command(CHROMIUM, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      `--user-data-dir=${profile}`,
      `http://127.0.0.1:${server.addr.port}/`,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log = new Response(browser.stderr).text();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(async () => {
        browser.kill("SIGKILL");
        reject(new Error(`mermaid did not render within 60 s; chromium said:\n${await log}`));
      }, 60_000);
    });
    return await Promise.race([result, timeout]);
  } finally {
    clearTimeout(timer);
    try {
      browser.kill("SIGKILL");
    } catch { /* gone */ }
    await browser.status;
    await log;
    await server.shutdown();
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

/** Rasterises an SVG file with rsvg-convert; throws with its message when it cannot. */
export async function rasterise(svgPath: string): Promise<Uint8Array> {
  const out = await new Deno.Command("rsvg-convert", {
    args: ["--format", "png", svgPath],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`rsvg-convert ${svgPath}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return out.stdout;
}
