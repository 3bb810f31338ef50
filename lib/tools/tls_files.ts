/**
 * The PEM files of `--tls`: read once at start, checked, and every problem one line that
 * names the file (exit 1), or the one `--allow-read` grant the run needs (exit 4).
 *
 * A path needs read access to exactly that file (`deno run --allow-read=cert.pem,key.pem`);
 * `-` reads PEM from standard input (file descriptor 0), which needs no permission, so a
 * compiled binary that has only `--allow-net` can still be given its certificate and key:
 * `cat cert.pem key.pem | sk-server --tls --cert - --key -`. When several flags are `-`,
 * standard input carries the certificate chain, then the private key, then the CA
 * certificates: `cat cert.pem key.pem ca.pem | sk-server --tls --cert - --key - --client-ca -`
 * (mutual TLS with `--allow-net` only).
 *
 * @module
 */
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { PermissionError, quoteField, ToolError } from "../cli/errors.ts";
import { ExitCode } from "../cli/exit_codes.ts";
import { describeCause } from "../net/errors.ts";
import { shellQuote } from "../net/unix_grants.ts";
import { InputError, readInput } from "../cli/stdin.ts";

/** The TLS files of a command line, by flag: a path, or `-` for standard input. */
export interface TlsFiles {
  /** `--cert`: our certificate chain. */
  cert?: string | undefined;
  /** `--key`: its private key. */
  key?: string | undefined;
  /** `--ca`: the CAs the client trusts instead of the default roots. */
  ca?: string | undefined;
  /** `--client-ca`: the CAs a server requires client certificates from. */
  clientCa?: string | undefined;
}

/** The PEM text of each file given. */
export type TlsPem = { [K in keyof TlsFiles]?: string };

const FLAG: Record<keyof TlsFiles, string> = {
  cert: "--cert",
  key: "--key",
  ca: "--ca",
  clientCa: "--client-ca",
};

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;
const KEY_BLOCK = /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----[^-]+-----END ([A-Z]+ )?PRIVATE KEY-----/;
const MAX_PEM = 1 << 20;

/**
 * Reads and checks the files: each holds PEM of its kind, every certificate parses, the
 * key parses and matches the first certificate of `--cert`.
 *
 * @param files The paths (or `-`), by flag.
 * @returns The PEM text, by flag.
 * @throws {ToolError} Naming the flag, the file and the cause (exit 1).
 * @throws {PermissionError} Naming the `--allow-read` grant for every file given (exit 4).
 */
export async function loadTlsFiles(files: TlsFiles): Promise<TlsPem> {
  const given = (Object.keys(FLAG) as (keyof TlsFiles)[]).filter((k) => files[k] !== undefined);
  const paths = given.map((k) => files[k]!).filter((p) => p !== "-");
  const fromStdin = given.filter((k) => files[k] === "-");
  const parts = fromStdin.length === 0
    ? {}
    : splitStdin(fromStdin, await readStdin(`${FLAG[fromStdin[0]!]} -`));
  const pem: TlsPem = {};
  for (const k of given) {
    const path = files[k]!;
    let text: string;
    if (path === "-") {
      text = parts[k]!;
    } else {
      try {
        const bytes = await Deno.readFile(path);
        if (bytes.length > MAX_PEM) fail(k, path, "larger than 1 MiB: not a PEM file");
        text = new TextDecoder().decode(bytes);
      } catch (err) {
        if (err instanceof ToolError) throw err;
        if (err instanceof Deno.errors.NotCapable) {
          throw new PermissionError(
            `Cannot read ${FLAG[k]} ${quoteField(path)}: permission denied: run again with ` +
              `--allow-read=${
                [...new Set(paths)].map(shellQuote).join(",")
              } (or give the PEM on stdin: ${stdinHint(files, given)})`,
            { cause: err },
          );
        }
        throw new ToolError(
          `Cannot read ${FLAG[k]} ${quoteField(path)}: ${
            describeCause(err).replace(/ \(os error \d+\)/, "").replace(/: .*$/, "")
          }`,
          ExitCode.Usage,
          { cause: err },
        );
      }
    }
    pem[k] = k === "key" ? keyBlock(k, path, text) : certBlocks(k, path, text);
  }
  if (pem.cert !== undefined && pem.key !== undefined) {
    const cert = new X509Certificate(pem.cert.match(CERT_BLOCK)![0]!);
    if (!cert.checkPrivateKey(createPrivateKey(pem.key) as KeyObject)) {
      fail("key", files.key!, `it is not the key of the certificate in ${shown(files.cert!)}`);
    }
  }
  return pem;
}

/** The order of the PEM on stdin when several flags read it: chain, key, CAs. */
const STDIN_ORDER: (keyof TlsFiles)[] = ["cert", "key", "ca", "clientCa"];

/** `cat cert.pem key.pem | … --cert - --key -`: how to give every file given on stdin. */
function stdinHint(files: TlsFiles, given: (keyof TlsFiles)[]): string {
  const order = STDIN_ORDER.filter((k) => given.includes(k));
  const placeholder = { cert: "cert.pem", key: "key.pem", ca: "ca.pem", clientCa: "ca.pem" };
  const cat = order.map((k) => files[k] === "-" ? placeholder[k] : shellQuote(files[k]!));
  return `cat ${cat.join(" ")} | … ${order.map((k) => `${FLAG[k]} -`).join(" ")}`;
}

/**
 * Standard input's PEM, shared among the flags that read it: with one flag, all of it; with
 * several, the certificate chain first, then the private key, then the CA certificates
 * (`cat cert.pem key.pem ca.pem`): the chain is the certificates before the key, the CAs
 * those after it.
 */
function splitStdin(flags: (keyof TlsFiles)[], text: string): TlsPem {
  if (flags.length === 1) return { [flags[0]!]: text };
  const key = KEY_BLOCK.exec(text);
  const cas = flags.filter((k) => k === "ca" || k === "clientCa");
  const order = `${STDIN_ORDER.filter((k) => flags.includes(k)).map((k) => FLAG[k]).join(", ")}`;
  if (key === null || (flags.includes("cert") && cas.length > 0 && !flags.includes("key"))) {
    throw new ToolError(
      `Cannot use stdin for ${order}: give the certificate chain, then the private key, ` +
        `then the CA certificates (cat cert.pem key.pem ca.pem | …)`,
      ExitCode.Usage,
    );
  }
  const before = text.slice(0, key.index);
  const after = text.slice(key.index + key[0].length);
  const parts: TlsPem = {};
  for (const k of flags) {
    if (k === "key") parts.key = key[0];
    else if (k === "cert") parts.cert = before;
    else parts[k] = flags.includes("cert") ? after : before + after;
  }
  // Certificates there, but none where a flag looks for them: the blocks are misordered
  // (`cat key.pem cert.pem`), which "no PEM certificate in it" would not tell.
  const certsIn = (part: string) => (part.match(CERT_BLOCK) ?? []).length;
  if (certsIn(text) > 0 && flags.some((k) => k !== "key" && certsIn(parts[k]!) === 0)) {
    const placeholder = { cert: "cert.pem", key: "key.pem", ca: "ca.pem", clientCa: "ca.pem" };
    const cat = STDIN_ORDER.filter((k) => flags.includes(k)).map((k) => placeholder[k]);
    throw new ToolError(
      `Cannot use stdin for ${order}: the PEM blocks are out of order (${blockOrder(text)}): ` +
        `give the certificate chain, then the private key, then the CA certificates ` +
        `(cat ${cat.join(" ")} | …)`,
      ExitCode.Usage,
    );
  }
  return parts;
}

/** The kinds of PEM block in `text`, in order, runs counted: `a private key, then 2 certificates`. */
function blockOrder(text: string): string {
  const kinds = [...text.matchAll(/-----BEGIN ([A-Z ]+)-----/g)].map((m) =>
    m[1]!.endsWith("PRIVATE KEY") ? "private key" : m[1] === "CERTIFICATE" ? "certificate" : "other"
  );
  const runs: [string, number][] = [];
  for (const kind of kinds) {
    const last = runs.at(-1);
    if (last?.[0] === kind) last[1]++;
    else runs.push([kind, 1]);
  }
  const shown = runs.slice(0, 6).map(([kind, n]) =>
    kind === "other" ? `${n} other block${n > 1 ? "s" : ""}` : n > 1 ? `${n} ${kind}s` : `a ${kind}`
  );
  return `found ${shown.join(", then ")}${runs.length > 6 ? ", …" : ""}`;
}

function shown(path: string): string {
  return path === "-" ? "stdin" : quoteField(path);
}

function fail(k: keyof TlsFiles, path: string, cause: string): never {
  throw new ToolError(`Cannot use ${FLAG[k]} ${shown(path)}: ${cause}`, ExitCode.Usage);
}

function certBlocks(k: keyof TlsFiles, path: string, text: string): string {
  const blocks = text.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) fail(k, path, "no PEM certificate in it");
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (err) {
      fail(k, path, `not a valid certificate (${describeCause(err)})`);
    }
  }
  return blocks.join("\n") + "\n";
}

function keyBlock(k: keyof TlsFiles, path: string, text: string): string {
  const block = KEY_BLOCK.exec(text)?.[0];
  if (block === undefined) fail(k, path, "no PEM private key in it");
  try {
    createPrivateKey(block);
  } catch (err) {
    fail(k, path, `not a valid private key (${describeCause(err)})`);
  }
  return block + "\n";
}

async function readStdin(what: string): Promise<string> {
  const all = await readInput(what, MAX_PEM).catch((err) => {
    if (err instanceof InputError) throw err;
    throw new ToolError("Cannot read PEM from stdin: more than 1 MiB", ExitCode.Usage);
  });
  return new TextDecoder().decode(all);
}
