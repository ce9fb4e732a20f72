/**
 * aedes parses with mqtt-packet, which has no size cap: a client announcing a 256 MB packet
 * makes the parser buffer until 256 MB have arrived. This guard checks the announced length
 * (the fixed header's Remaining Length, §2.2.3) as soon as it is parsed, before any payload is
 * buffered, and fails the parse so aedes closes that one connection.
 *
 * It wraps the parser instance of one aedes client (`client._parser`, created in the Client
 * constructor), right after `aedes.handle()` returns and before the socket's first 'readable'
 * event. The integration tests cover it, so an aedes change that moves the parser shows up.
 */
interface MqttPacketParser {
  packet: { length: number; cmd?: string };
  _parseLength(): boolean;
  _emitError(err: Error): boolean;
}

export class PacketTooLargeError extends Error {
  constructor(
    readonly announcedBytes: number,
    readonly maxBytes: number,
  ) {
    super(`MQTT packet of ${announcedBytes} bytes exceeds the ${maxBytes}-byte limit`);
    this.name = "PacketTooLargeError";
  }
}

export function guardPacketSize(client: object, maxPacketSizeBytes: number): void {
  const parser = (client as { _parser?: MqttPacketParser })._parser;
  if (!parser || typeof parser._parseLength !== "function") {
    throw new Error("aedes client has no mqtt-packet parser to guard; check the aedes version");
  }
  const parseLength = parser._parseLength;
  parser._parseLength = function guardedParseLength(this: MqttPacketParser): boolean {
    const complete = parseLength.call(this);
    if (complete && this.packet.length > maxPacketSizeBytes) {
      return this._emitError(new PacketTooLargeError(this.packet.length, maxPacketSizeBytes));
    }
    return complete;
  };
}
