/**
 * `node --import tsx simulator/bench/signature-cost.ts [iterations]`: what signing costs the
 * server and verifying costs a device (or a simulator process, which verifies for its whole
 * fleet), per command, on this machine. Uses the server's signer and the agent's verifier on
 * a typical command's bytes.
 */
import { SignatureVerifier } from "../../agent/core/signatures.js";
import { encodeCommandBody } from "../../proto/codec.js";
import { CommandSigner } from "../../server/signing/command-signer.js";
import { newSigningKeyRing } from "../../server/signing/signing-keys.js";

const iterations = Number(process.argv[2] ?? 20_000);

function microsPerCall(run: (i: number) => void): number {
  for (let i = 0; i < Math.min(1000, iterations); i++) run(i); // warm-up
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) run(i);
  return Number(process.hrtime.bigint() - started) / 1000 / iterations;
}

const signer = new CommandSigner(newSigningKeyRing());
const pinned = signer.publishedKeySet();
const verifier = new SignatureVerifier();
const commands = Array.from({ length: 1000 }, (_, i) =>
  encodeCommandBody({
    id: `cmd_01J${String(i).padStart(23, "0")}`,
    deviceId: `dev_${String(i).padStart(20, "0")}`,
    seq: 1000 + i,
    issuedAtMs: Date.now(),
    expiresAtMs: Date.now() + 7 * 86_400_000,
    action: { type: "rename", name: `Lobby display ${i}` },
  }),
);
const signed = commands.map((bytes) => ({ bytes, ...signer.sign(bytes) }));
const signUs = microsPerCall((i) => signer.sign(commands[i % commands.length]!));
const verifyUs = microsPerCall((i) => {
  if (verifier.check(signed[i % signed.length]!, pinned)) throw new Error("a genuine signature failed");
});
process.stdout.write(
  `${iterations} commands of ${commands[0]!.length} bytes, Node ${process.version}\n` +
    `sign (server):   ${signUs.toFixed(1)} µs per command\n` +
    `verify (device): ${verifyUs.toFixed(1)} µs per command ` +
    `(${((verifyUs * 20_000) / 1000).toFixed(0)} ms of CPU for a fleet command to 20 000 simulated devices)\n`,
);
