/**
 * Certificates made with openssl at test (or benchmark) time: a CA, a server certificate for
 * localhost, 127.0.0.1 and ::1, a client certificate, a second CA that nobody trusts, and
 * three certificates of the CA that are no client credentials (a server-only extended key
 * usage, a key usage without digitalSignature, an intermediate CA), and two client
 * certificates whose subjects are hostile.
 *
 * @module
 */

/** Paths of the PEM files in a temporary directory (removed by `using`). */
export interface TestCerts extends Disposable {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A server certificate signed by a CA that `ca` is not. */
  rogueCert: string;
  rogueKey: string;
  /** Signed by `ca`, but for servers only: extended key usage serverAuth. */
  serverOnlyCert: string;
  serverOnlyKey: string;
  /** Signed by `ca`, with a key usage that lacks digitalSignature (keyAgreement only). */
  noSignCert: string;
  noSignKey: string;
  /** An intermediate CA's own certificate (basicConstraints CA:TRUE), signed by `ca`. */
  subCaCert: string;
  subCaKey: string;
  /**
   * A client certificate of `ca` whose subject is hostile peer input: a terminal title
   * sequence, BEL, a right-to-left override and a newline with a fake line after it.
   */
  hostileCert: string;
  hostileKey: string;
  /**
   * A client certificate of `ca` whose O (`x, CN=admin`) would pass for a second CN if
   * printed unescaped; its CN is `mallory`.
   */
  commaCert: string;
  commaKey: string;
}

/** The common name of {@linkcode TestCerts.hostileCert}. */
export const HOSTILE_CN = "a\x1b]0;pwned\x07\u202eevil\nserver: fake";

/**
 * Runs `openssl` with `args` in `dir`; throws with its stderr when it fails.
 *
 * @param dir The working directory.
 * @param args The arguments.
 */
export async function openssl(dir: string, ...args: string[]): Promise<void> {
  const { success, stderr } = await new Deno.Command("openssl", {
    args,
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(`openssl ${args.join(" ")}: ${new TextDecoder().decode(stderr)}`);
}

async function issue(dir: string, name: string, subject: string, ca: string, ext: string) {
  await openssl(
    dir,
    "req",
    "-utf8",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    subject,
  );
  await Deno.writeTextFile(`${dir}/${name}.ext`, ext);
  await openssl(
    dir,
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.pem`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-out",
    `${name}.pem`,
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
  );
}

/** Makes the certificates (about 100 ms). */
export async function makeCerts(): Promise<TestCerts> {
  const dir = await Deno.makeTempDir({ prefix: "socketkit-tls-" });
  for (const ca of ["ca", "rogue-ca"]) {
    await openssl(
      dir,
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      `${ca}.key`,
      "-out",
      `${ca}.pem`,
      "-days",
      "2",
      "-subj",
      `/CN=${ca}`,
    );
  }
  const serverExt =
    "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n";
  await issue(dir, "server", "/CN=localhost", "ca", serverExt);
  await issue(dir, "rogue", "/CN=localhost", "rogue-ca", serverExt);
  await issue(dir, "client", "/CN=test client", "ca", "extendedKeyUsage=clientAuth\n");
  await issue(dir, "server-only", "/CN=server only", "ca", "extendedKeyUsage=serverAuth\n");
  await issue(dir, "no-sign", "/CN=no sign", "ca", "keyUsage=critical,keyAgreement\n");
  await issue(
    dir,
    "sub-ca",
    "/CN=sub ca",
    "ca",
    "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\n",
  );
  await issue(dir, "hostile", `/CN=${HOSTILE_CN}`, "ca", "extendedKeyUsage=clientAuth\n");
  await issue(dir, "comma", "/O=x, CN=admin/CN=mallory", "ca", "extendedKeyUsage=clientAuth\n");
  return {
    dir,
    ca: `${dir}/ca.pem`,
    serverCert: `${dir}/server.pem`,
    serverKey: `${dir}/server.key`,
    clientCert: `${dir}/client.pem`,
    clientKey: `${dir}/client.key`,
    rogueCert: `${dir}/rogue.pem`,
    rogueKey: `${dir}/rogue.key`,
    serverOnlyCert: `${dir}/server-only.pem`,
    serverOnlyKey: `${dir}/server-only.key`,
    noSignCert: `${dir}/no-sign.pem`,
    noSignKey: `${dir}/no-sign.key`,
    subCaCert: `${dir}/sub-ca.pem`,
    subCaKey: `${dir}/sub-ca.key`,
    hostileCert: `${dir}/hostile.pem`,
    hostileKey: `${dir}/hostile.key`,
    commaCert: `${dir}/comma.pem`,
    commaKey: `${dir}/comma.key`,
    [Symbol.dispose]: () => Deno.removeSync(dir, { recursive: true }),
  };
}
