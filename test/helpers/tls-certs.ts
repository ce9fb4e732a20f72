/**
 * Certificates made in the test with the openssl CLI (no new packages): a CA and a server
 * certificate it signs for 127.0.0.1 and localhost, a certificate from the same CA for another
 * host name, and an unrelated CA. P-256 keys, valid for a day.
 */
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const OPENSSL = "/usr/bin/openssl";

export interface TestCertificates {
  caFile: string;
  ca: Buffer;
  /** Signed by the CA for IP 127.0.0.1 and DNS localhost. */
  certFile: string;
  keyFile: string;
  /** Signed by the same CA, but for mdm.example.com only. */
  otherHostCertFile: string;
  otherHostKeyFile: string;
  /** A CA that signed none of these. */
  otherCa: Buffer;
}

/** `openssl req` arguments for a new unencrypted P-256 key written to `keyFile`. */
const newP256Key = (keyFile: string) => [
  "-newkey",
  "ec",
  "-pkeyopt",
  "ec_paramgen_curve:P-256",
  "-nodes",
  "-keyout",
  keyFile,
];

async function makeCa(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  await run(OPENSSL, [
    "req",
    "-x509",
    ...newP256Key(key),
    "-out",
    cert,
    "-days",
    "1",
    "-subj",
    `/CN=${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  return { cert, key };
}

async function makeServerCert(
  dir: string,
  name: string,
  ca: { cert: string; key: string },
  subjectAltName: string,
): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const extensions = join(dir, `${name}.ext`);
  await writeFile(
    extensions,
    `subjectAltName=${subjectAltName}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`,
  );
  await run(OPENSSL, ["req", ...newP256Key(key), "-out", csr, "-subj", `/CN=${name}`]);
  await run(OPENSSL, [
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca.cert,
    "-CAkey",
    ca.key,
    "-CAcreateserial",
    "-out",
    cert,
    "-days",
    "1",
    "-extfile",
    extensions,
  ]);
  return { cert, key };
}

export async function makeTestCertificates(dir: string): Promise<TestCertificates> {
  const ca = await makeCa(dir, "test-ca");
  const other = await makeCa(dir, "other-ca");
  const server = await makeServerCert(dir, "server", ca, "IP:127.0.0.1,DNS:localhost");
  const otherHost = await makeServerCert(dir, "other-host", ca, "DNS:mdm.example.com");
  return {
    caFile: ca.cert,
    ca: await readFile(ca.cert),
    certFile: server.cert,
    keyFile: server.key,
    otherHostCertFile: otherHost.cert,
    otherHostKeyFile: otherHost.key,
    otherCa: await readFile(other.cert),
  };
}
