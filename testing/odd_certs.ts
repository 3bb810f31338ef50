/**
 * Server certificates a client must refuse or show with care, made with openssl at test
 * time: one that has expired, one not valid yet (both from `openssl ca`, which takes
 * explicit dates), and one whose subject carries terminal controls (ESC, OSC, BEL, CSI,
 * CR/LF) and U+202E. Each is issued by the CA of {@linkcode makeCerts}, for localhost.
 *
 * @module
 */
import { openssl, type TestCerts } from "./certs.ts";

/** The subject of {@linkcode OddCerts.hostileCert}: what a hostile server may put there. */
export const HOSTILE_SUBJECT =
  "/CN=localhost\x1b]0;pwned\x07\x1b[31mred\r\nclient: fake line \u202eevil/O=a\x1b[2Jb";

/** Paths of the odd certificates (in the directory of the certificates given). */
export interface OddCerts {
  /** Valid from 2020-01-01 until 2020-01-02. */
  expiredCert: string;
  /** Valid from 2040-01-01 until 2040-01-02. */
  futureCert: string;
  /** Subject {@linkcode HOSTILE_SUBJECT}, valid now. */
  hostileCert: string;
  /** The key of all three. */
  key: string;
}

/**
 * Makes the odd certificates beside `certs` (removed with them).
 *
 * @param certs The certificates of `makeCerts()`, whose CA signs these.
 * @returns Their paths.
 */
export async function makeOddCerts(certs: TestCerts): Promise<OddCerts> {
  const dir = certs.dir;
  await Deno.writeTextFile(
    `${dir}/odd.ext`,
    "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n",
  );
  await Deno.writeTextFile(
    `${dir}/odd-ca.cnf`,
    "[ca]\ndefault_ca=d\n[d]\ndatabase=odd-index.txt\nnew_certs_dir=.\nserial=odd-serial\n" +
      "default_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n",
  );
  await Deno.writeTextFile(`${dir}/odd-index.txt`, "");
  await Deno.writeTextFile(`${dir}/odd-serial`, "01\n");
  const req = (out: string, subject: string) =>
    openssl(dir, "req", "-new", "-key", "odd.key", "-out", out, "-utf8", "-subj", subject);
  await openssl(
    dir,
    "genpkey",
    "-algorithm",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-out",
    "odd.key",
  );
  await req("odd.csr", "/CN=localhost");
  for (
    const [name, start, end] of [["expired", "20200101", "20200102"], [
      "future",
      "20400101",
      "20400102",
    ]]
  ) {
    await openssl(
      dir,
      "ca",
      "-batch",
      "-config",
      "odd-ca.cnf",
      "-cert",
      "ca.pem",
      "-keyfile",
      "ca.key",
      "-in",
      "odd.csr",
      "-out",
      `${name}.pem`,
      "-startdate",
      `${start}000000Z`,
      "-enddate",
      `${end}000000Z`,
      "-extfile",
      "odd.ext",
      "-notext",
    );
  }
  await req("hostile.csr", HOSTILE_SUBJECT);
  await openssl(
    dir,
    "x509",
    "-req",
    "-in",
    "hostile.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "hostile.pem",
    "-days",
    "2",
    "-extfile",
    "odd.ext",
  );
  return {
    expiredCert: `${dir}/expired.pem`,
    futureCert: `${dir}/future.pem`,
    hostileCert: `${dir}/hostile.pem`,
    key: `${dir}/odd.key`,
  };
}
