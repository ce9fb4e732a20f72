import * as $protobuf from "protobufjs/minimal.js";
import Long = require("long");

/** Namespace portal. */
export namespace portal {

    /** Namespace mdm. */
    namespace mdm {

        /** Namespace v1. */
        namespace v1 {

            /**
             * Properties of a SignedCommand.
             * @deprecated Use portal.mdm.v1.SignedCommand.$Properties instead.
             */
            interface ISignedCommand extends portal.mdm.v1.SignedCommand.$Properties {
            }

            /** Represents a SignedCommand. */
            class SignedCommand {

                /**
                 * Constructs a new SignedCommand.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: portal.mdm.v1.SignedCommand.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** SignedCommand command. */
                command: Uint8Array;

                /** SignedCommand signature. */
                signature: Uint8Array;

                /** SignedCommand keyId. */
                keyId: string;

                /**
                 * Creates a new SignedCommand instance using the specified properties.
                 * @param [properties] Properties to set
                 * @returns SignedCommand instance
                 */
                static create(properties: portal.mdm.v1.SignedCommand.$Shape): portal.mdm.v1.SignedCommand & portal.mdm.v1.SignedCommand.$Shape;
                static create(properties?: portal.mdm.v1.SignedCommand.$Properties): portal.mdm.v1.SignedCommand;

                /**
                 * Encodes the specified SignedCommand message. Does not implicitly {@link portal.mdm.v1.SignedCommand.verify|verify} messages.
                 * @param message SignedCommand message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: portal.mdm.v1.SignedCommand.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a SignedCommand message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.SignedCommand & portal.mdm.v1.SignedCommand.$Shape} SignedCommand
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): portal.mdm.v1.SignedCommand & portal.mdm.v1.SignedCommand.$Shape;
            }

            namespace SignedCommand {

                /** Properties of a SignedCommand. */
                interface $Properties {

                    /** SignedCommand command */
                    command?: (Uint8Array|null);

                    /** SignedCommand signature */
                    signature?: (Uint8Array|null);

                    /** SignedCommand keyId */
                    keyId?: (string|null);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a SignedCommand. */
                type $Shape = portal.mdm.v1.SignedCommand.$Properties;
            }

            /**
             * Properties of a Command.
             * @deprecated Use portal.mdm.v1.Command.$Properties instead.
             */
            interface ICommand extends portal.mdm.v1.Command.$Properties {
            }

            /** Represents a Command. */
            class Command {

                /**
                 * Constructs a new Command.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: portal.mdm.v1.Command.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** Command id. */
                id: string;

                /** Command deviceId. */
                deviceId: string;

                /** Command seq. */
                seq: number;

                /** Command issuedAtMs. */
                issuedAtMs: number;

                /** Command expiresAtMs. */
                expiresAtMs: number;

                /** Command lock. */
                lock?: (portal.mdm.v1.Lock.$Properties|null);

                /** Command reboot. */
                reboot?: (portal.mdm.v1.Reboot.$Properties|null);

                /** Command factoryReset. */
                factoryReset?: (portal.mdm.v1.FactoryReset.$Properties|null);

                /** Command rename. */
                rename?: (portal.mdm.v1.Rename.$Properties|null);

                /** Command setTimeSettings. */
                setTimeSettings?: (portal.mdm.v1.SetTimeSettings.$Properties|null);

                /** Command stopManaging. */
                stopManaging?: (portal.mdm.v1.StopManaging.$Properties|null);

                /** Command deactivate. */
                deactivate?: (portal.mdm.v1.Deactivate.$Properties|null);

                /** Command refreshState. */
                refreshState?: (portal.mdm.v1.RefreshState.$Properties|null);

                /** Command action. */
                action?: ("lock"|"reboot"|"factoryReset"|"rename"|"setTimeSettings"|"stopManaging"|"deactivate"|"refreshState");

                /**
                 * Creates a new Command instance using the specified properties.
                 * @param [properties] Properties to set
                 * @returns Command instance
                 */
                static create(properties: portal.mdm.v1.Command.$Shape): portal.mdm.v1.Command & portal.mdm.v1.Command.$Shape;
                static create(properties?: portal.mdm.v1.Command.$Properties): portal.mdm.v1.Command;

                /**
                 * Encodes the specified Command message. Does not implicitly {@link portal.mdm.v1.Command.verify|verify} messages.
                 * @param message Command message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: portal.mdm.v1.Command.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a Command message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.Command & portal.mdm.v1.Command.$Shape} Command
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): portal.mdm.v1.Command & portal.mdm.v1.Command.$Shape;
            }

            namespace Command {

                /** Properties of a Command. */
                interface $Properties {

                    /** Command id */
                    id?: (string|null);

                    /** Command deviceId */
                    deviceId?: (string|null);

                    /** Command seq */
                    seq?: (number|null);

                    /** Command issuedAtMs */
                    issuedAtMs?: (number|null);

                    /** Command expiresAtMs */
                    expiresAtMs?: (number|null);

                    /** Command lock */
                    lock?: (portal.mdm.v1.Lock.$Properties|null);

                    /** Command reboot */
                    reboot?: (portal.mdm.v1.Reboot.$Properties|null);

                    /** Command factoryReset */
                    factoryReset?: (portal.mdm.v1.FactoryReset.$Properties|null);

                    /** Command rename */
                    rename?: (portal.mdm.v1.Rename.$Properties|null);

                    /** Command setTimeSettings */
                    setTimeSettings?: (portal.mdm.v1.SetTimeSettings.$Properties|null);

                    /** Command stopManaging */
                    stopManaging?: (portal.mdm.v1.StopManaging.$Properties|null);

                    /** Command deactivate */
                    deactivate?: (portal.mdm.v1.Deactivate.$Properties|null);

                    /** Command refreshState */
                    refreshState?: (portal.mdm.v1.RefreshState.$Properties|null);

                    /** Command action */
                    action?: ("lock"|"reboot"|"factoryReset"|"rename"|"setTimeSettings"|"stopManaging"|"deactivate"|"refreshState");

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Narrowed shape of a Command. */
                type $Shape = {
                  id?: string|null;
                  deviceId?: string|null;
                  seq?: number|null;
                  issuedAtMs?: number|null;
                  expiresAtMs?: number|null;
                  lock?: portal.mdm.v1.Lock.$Shape|null;
                  reboot?: portal.mdm.v1.Reboot.$Shape|null;
                  factoryReset?: portal.mdm.v1.FactoryReset.$Shape|null;
                  rename?: portal.mdm.v1.Rename.$Shape|null;
                  setTimeSettings?: portal.mdm.v1.SetTimeSettings.$Shape|null;
                  stopManaging?: portal.mdm.v1.StopManaging.$Shape|null;
                  deactivate?: portal.mdm.v1.Deactivate.$Shape|null;
                  refreshState?: portal.mdm.v1.RefreshState.$Shape|null;
                  $unknowns?: Uint8Array[];
                } & (
                  ({ action?: undefined; lock?: null; reboot?: null; factoryReset?: null; rename?: null; setTimeSettings?: null; stopManaging?: null; deactivate?: null; refreshState?: null }|{ action?: "lock"; lock: portal.mdm.v1.Lock.$Shape; reboot?: null; factoryReset?: null; rename?: null; setTimeSettings?: null; stopManaging?: null; deactivate?: null; refreshState?: null }|{ action?: "reboot"; lock?: null; reboot: portal.mdm.v1.Reboot.$Shape; factoryReset?: null; rename?: null; setTimeSettings?: null; stopManaging?: null; deactivate?: null; refreshState?: null }|{ action?: "factoryReset"; lock?: null; reboot?: null; factoryReset: portal.mdm.v1.FactoryReset.$Shape; rename?: null; setTimeSettings?: null; stopManaging?: null; deactivate?: null; refreshState?: null }|{ action?: "rename"; lock?: null; reboot?: null; factoryReset?: null; rename: portal.mdm.v1.Rename.$Shape; setTimeSettings?: null; stopManaging?: null; deactivate?: null; refreshState?: null }|{ action?: "setTimeSettings"; lock?: null; reboot?: null; factoryReset?: null; rename?: null; setTimeSettings: portal.mdm.v1.SetTimeSettings.$Shape; stopManaging?: null; deactivate?: null; refreshState?: null }|{ action?: "stopManaging"; lock?: null; reboot?: null; factoryReset?: null; rename?: null; setTimeSettings?: null; stopManaging: portal.mdm.v1.StopManaging.$Shape; deactivate?: null; refreshState?: null }|{ action?: "deactivate"; lock?: null; reboot?: null; factoryReset?: null; rename?: null; setTimeSettings?: null; stopManaging?: null; deactivate: portal.mdm.v1.Deactivate.$Shape; refreshState?: null }|{ action?: "refreshState"; lock?: null; reboot?: null; factoryReset?: null; rename?: null; setTimeSettings?: null; stopManaging?: null; deactivate?: null; refreshState: portal.mdm.v1.RefreshState.$Shape })
                );
            }

            /**
             * Properties of a Lock.
             * @deprecated Use portal.mdm.v1.Lock.$Properties instead.
             */
            interface ILock extends portal.mdm.v1.Lock.$Properties {
            }

            /** Represents a Lock. */
            class Lock {

                /**
                 * Constructs a new Lock.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: portal.mdm.v1.Lock.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /**
                 * Creates a new Lock instance using the specified properties.
                 * @param [properties] Properties to set
                 * @returns Lock instance
                 */
                static create(properties: portal.mdm.v1.Lock.$Shape): portal.mdm.v1.Lock & portal.mdm.v1.Lock.$Shape;
                static create(properties?: portal.mdm.v1.Lock.$Properties): portal.mdm.v1.Lock;

                /**
                 * Encodes the specified Lock message. Does not implicitly {@link portal.mdm.v1.Lock.verify|verify} messages.
                 * @param message Lock message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: portal.mdm.v1.Lock.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a Lock message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.Lock & portal.mdm.v1.Lock.$Shape} Lock
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): portal.mdm.v1.Lock & portal.mdm.v1.Lock.$Shape;
            }

            namespace Lock {

                /** Properties of a Lock. */
                interface $Properties {

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a Lock. */
                type $Shape = portal.mdm.v1.Lock.$Properties;
            }

            /**
             * Properties of a Reboot.
             * @deprecated Use portal.mdm.v1.Reboot.$Properties instead.
             */
            interface IReboot extends portal.mdm.v1.Reboot.$Properties {
            }

            /** Represents a Reboot. */
            class Reboot {

                /**
                 * Constructs a new Reboot.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: portal.mdm.v1.Reboot.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /**
                 * Creates a new Reboot instance using the specified properties.
                 * @param [properties] Properties to set
                 * @returns Reboot instance
                 */
                static create(properties: portal.mdm.v1.Reboot.$Shape): portal.mdm.v1.Reboot & portal.mdm.v1.Reboot.$Shape;
                static create(properties?: portal.mdm.v1.Reboot.$Properties): portal.mdm.v1.Reboot;

                /**
                 * Encodes the specified Reboot message. Does not implicitly {@link portal.mdm.v1.Reboot.verify|verify} messages.
                 * @param message Reboot message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: portal.mdm.v1.Reboot.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a Reboot message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.Reboot & portal.mdm.v1.Reboot.$Shape} Reboot
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): portal.mdm.v1.Reboot & portal.mdm.v1.Reboot.$Shape;
            }

            namespace Reboot {

                /** Properties of a Reboot. */
                interface $Properties {

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a Reboot. */
                type $Shape = portal.mdm.v1.Reboot.$Properties;
            }

            /**
             * Properties of a FactoryReset.
             * @deprecated Use portal.mdm.v1.FactoryReset.$Properties instead.
             */
            interface IFactoryReset extends portal.mdm.v1.FactoryReset.$Properties {
            }

            /** Represents a FactoryReset. */
            class FactoryReset {

                /**
                 * Constructs a new FactoryReset.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: portal.mdm.v1.FactoryReset.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /**
                 * Creates a new FactoryReset instance using the specified properties.
                 * @param [properties] Properties to set
                 * @returns FactoryReset instance
                 */
                static create(properties: portal.mdm.v1.FactoryReset.$Shape): portal.mdm.v1.FactoryReset & portal.mdm.v1.FactoryReset.$Shape;
                static create(properties?: portal.mdm.v1.FactoryReset.$Properties): portal.mdm.v1.FactoryReset;

                /**
                 * Encodes the specified FactoryReset message. Does not implicitly {@link portal.mdm.v1.FactoryReset.verify|verify} messages.
                 * @param message FactoryReset message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: portal.mdm.v1.FactoryReset.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a FactoryReset message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.FactoryReset & portal.mdm.v1.FactoryReset.$Shape} FactoryReset
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): portal.mdm.v1.FactoryReset & portal.mdm.v1.FactoryReset.$Shape;
            }

            namespace FactoryReset {

                /** Properties of a FactoryReset. */
                interface $Properties {

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a FactoryReset. */
                type $Shape = portal.mdm.v1.FactoryReset.$Properties;
            }

            /**
             * Properties of a Rename.
             * @deprecated Use portal.mdm.v1.Rename.$Properties instead.
             */
            interface IRename extends portal.mdm.v1.Rename.$Properties {
            }

            /** Represents a Rename. */
            class Rename {

                /**
                 * Constructs a new Rename.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: portal.mdm.v1.Rename.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** Rename name. */
                name: string;

                /**
                 * Creates a new Rename instance using the specified properties.
                 * @param [properties] Properties to set
                 * @returns Rename instance
                 */
                static create(properties: portal.mdm.v1.Rename.$Shape): portal.mdm.v1.Rename & portal.mdm.v1.Rename.$Shape;
                static create(properties?: portal.mdm.v1.Rename.$Properties): portal.mdm.v1.Rename;

                /**
                 * Encodes the specified Rename message. Does not implicitly {@link portal.mdm.v1.Rename.verify|verify} messages.
                 * @param message Rename message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: portal.mdm.v1.Rename.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a Rename message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.Rename & portal.mdm.v1.Rename.$Shape} Rename
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): portal.mdm.v1.Rename & portal.mdm.v1.Rename.$Shape;
            }

            namespace Rename {

                /** Properties of a Rename. */
                interface $Properties {

                    /** Rename name */
                    name?: (string|null);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a Rename. */
                type $Shape = portal.mdm.v1.Rename.$Properties;
            }

            /**
             * Properties of a SetTimeSettings.
             * @deprecated Use portal.mdm.v1.SetTimeSettings.$Properties instead.
             */
            interface ISetTimeSettings extends portal.mdm.v1.SetTimeSettings.$Properties {
            }

            /** Represents a SetTimeSettings. */
            class SetTimeSettings {

                /**
                 * Constructs a new SetTimeSettings.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: portal.mdm.v1.SetTimeSettings.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** SetTimeSettings settings. */
                settings?: (portal.mdm.v1.TimeSettings.$Properties|null);

                /**
                 * Creates a new SetTimeSettings instance using the specified properties.
                 * @param [properties] Properties to set
                 * @returns SetTimeSettings instance
                 */
                static create(properties: portal.mdm.v1.SetTimeSettings.$Shape): portal.mdm.v1.SetTimeSettings & portal.mdm.v1.SetTimeSettings.$Shape;
                static create(properties?: portal.mdm.v1.SetTimeSettings.$Properties): portal.mdm.v1.SetTimeSettings;

                /**
                 * Encodes the specified SetTimeSettings message. Does not implicitly {@link portal.mdm.v1.SetTimeSettings.verify|verify} messages.
                 * @param message SetTimeSettings message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: portal.mdm.v1.SetTimeSettings.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a SetTimeSettings message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.SetTimeSettings & portal.mdm.v1.SetTimeSettings.$Shape} SetTimeSettings
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): portal.mdm.v1.SetTimeSettings & portal.mdm.v1.SetTimeSettings.$Shape;
            }

            namespace SetTimeSettings {

                /** Properties of a SetTimeSettings. */
                interface $Properties {

                    /** SetTimeSettings settings */
                    settings?: (portal.mdm.v1.TimeSettings.$Properties|null);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a SetTimeSettings. */
                type $Shape = portal.mdm.v1.SetTimeSettings.$Properties;
            }

            /**
             * Properties of a StopManaging.
             * @deprecated Use portal.mdm.v1.StopManaging.$Properties instead.
             */
            interface IStopManaging extends portal.mdm.v1.StopManaging.$Properties {
            }

            /** Represents a StopManaging. */
            class StopManaging {

                /**
                 * Constructs a new StopManaging.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: portal.mdm.v1.StopManaging.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /**
                 * Creates a new StopManaging instance using the specified properties.
                 * @param [properties] Properties to set
                 * @returns StopManaging instance
                 */
                static create(properties: portal.mdm.v1.StopManaging.$Shape): portal.mdm.v1.StopManaging & portal.mdm.v1.StopManaging.$Shape;
                static create(properties?: portal.mdm.v1.StopManaging.$Properties): portal.mdm.v1.StopManaging;

                /**
                 * Encodes the specified StopManaging message. Does not implicitly {@link portal.mdm.v1.StopManaging.verify|verify} messages.
                 * @param message StopManaging message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: portal.mdm.v1.StopManaging.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a StopManaging message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.StopManaging & portal.mdm.v1.StopManaging.$Shape} StopManaging
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): portal.mdm.v1.StopManaging & portal.mdm.v1.StopManaging.$Shape;
            }

            namespace StopManaging {

                /** Properties of a StopManaging. */
                interface $Properties {

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a StopManaging. */
                type $Shape = portal.mdm.v1.StopManaging.$Properties;
            }

            /**
             * Properties of a Deactivate.
             * @deprecated Use portal.mdm.v1.Deactivate.$Properties instead.
             */
            interface IDeactivate extends portal.mdm.v1.Deactivate.$Properties {
            }

            /** Represents a Deactivate. */
            class Deactivate {

                /**
                 * Constructs a new Deactivate.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: portal.mdm.v1.Deactivate.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /**
                 * Creates a new Deactivate instance using the specified properties.
                 * @param [properties] Properties to set
                 * @returns Deactivate instance
                 */
                static create(properties: portal.mdm.v1.Deactivate.$Shape): portal.mdm.v1.Deactivate & portal.mdm.v1.Deactivate.$Shape;
                static create(properties?: portal.mdm.v1.Deactivate.$Properties): portal.mdm.v1.Deactivate;

                /**
                 * Encodes the specified Deactivate message. Does not implicitly {@link portal.mdm.v1.Deactivate.verify|verify} messages.
                 * @param message Deactivate message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: portal.mdm.v1.Deactivate.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a Deactivate message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.Deactivate & portal.mdm.v1.Deactivate.$Shape} Deactivate
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): portal.mdm.v1.Deactivate & portal.mdm.v1.Deactivate.$Shape;
            }

            namespace Deactivate {

                /** Properties of a Deactivate. */
                interface $Properties {

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a Deactivate. */
                type $Shape = portal.mdm.v1.Deactivate.$Properties;
            }

            /**
             * Properties of a RefreshState.
             * @deprecated Use portal.mdm.v1.RefreshState.$Properties instead.
             */
            interface IRefreshState extends portal.mdm.v1.RefreshState.$Properties {
            }

            /** Represents a RefreshState. */
            class RefreshState {

                /**
                 * Constructs a new RefreshState.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: portal.mdm.v1.RefreshState.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /**
                 * Creates a new RefreshState instance using the specified properties.
                 * @param [properties] Properties to set
                 * @returns RefreshState instance
                 */
                static create(properties: portal.mdm.v1.RefreshState.$Shape): portal.mdm.v1.RefreshState & portal.mdm.v1.RefreshState.$Shape;
                static create(properties?: portal.mdm.v1.RefreshState.$Properties): portal.mdm.v1.RefreshState;

                /**
                 * Encodes the specified RefreshState message. Does not implicitly {@link portal.mdm.v1.RefreshState.verify|verify} messages.
                 * @param message RefreshState message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: portal.mdm.v1.RefreshState.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a RefreshState message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.RefreshState & portal.mdm.v1.RefreshState.$Shape} RefreshState
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): portal.mdm.v1.RefreshState & portal.mdm.v1.RefreshState.$Shape;
            }

            namespace RefreshState {

                /** Properties of a RefreshState. */
                interface $Properties {

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a RefreshState. */
                type $Shape = portal.mdm.v1.RefreshState.$Properties;
            }

            /**
             * Properties of a TimeSettings.
             * @deprecated Use portal.mdm.v1.TimeSettings.$Properties instead.
             */
            interface ITimeSettings extends portal.mdm.v1.TimeSettings.$Properties {
            }

            /** Represents a TimeSettings. */
            class TimeSettings {

                /**
                 * Constructs a new TimeSettings.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: portal.mdm.v1.TimeSettings.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** TimeSettings timezone. */
                timezone: string;

                /** TimeSettings ntpServer. */
                ntpServer: string;

                /**
                 * Creates a new TimeSettings instance using the specified properties.
                 * @param [properties] Properties to set
                 * @returns TimeSettings instance
                 */
                static create(properties: portal.mdm.v1.TimeSettings.$Shape): portal.mdm.v1.TimeSettings & portal.mdm.v1.TimeSettings.$Shape;
                static create(properties?: portal.mdm.v1.TimeSettings.$Properties): portal.mdm.v1.TimeSettings;

                /**
                 * Encodes the specified TimeSettings message. Does not implicitly {@link portal.mdm.v1.TimeSettings.verify|verify} messages.
                 * @param message TimeSettings message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: portal.mdm.v1.TimeSettings.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a TimeSettings message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.TimeSettings & portal.mdm.v1.TimeSettings.$Shape} TimeSettings
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): portal.mdm.v1.TimeSettings & portal.mdm.v1.TimeSettings.$Shape;
            }

            namespace TimeSettings {

                /** Properties of a TimeSettings. */
                interface $Properties {

                    /** TimeSettings timezone */
                    timezone?: (string|null);

                    /** TimeSettings ntpServer */
                    ntpServer?: (string|null);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a TimeSettings. */
                type $Shape = portal.mdm.v1.TimeSettings.$Properties;
            }

            /**
             * Properties of a CommandResult.
             * @deprecated Use portal.mdm.v1.CommandResult.$Properties instead.
             */
            interface ICommandResult extends portal.mdm.v1.CommandResult.$Properties {
            }

            /** Represents a CommandResult. */
            class CommandResult {

                /**
                 * Constructs a new CommandResult.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: portal.mdm.v1.CommandResult.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** CommandResult commandId. */
                commandId: string;

                /** CommandResult status. */
                status: portal.mdm.v1.CommandResult.Status;

                /** CommandResult errorCode. */
                errorCode: string;

                /** CommandResult message. */
                message: string;

                /** CommandResult atMs. */
                atMs: number;

                /** CommandResult state. */
                state?: (portal.mdm.v1.DeviceState.$Properties|null);

                /**
                 * Creates a new CommandResult instance using the specified properties.
                 * @param [properties] Properties to set
                 * @returns CommandResult instance
                 */
                static create(properties: portal.mdm.v1.CommandResult.$Shape): portal.mdm.v1.CommandResult & portal.mdm.v1.CommandResult.$Shape;
                static create(properties?: portal.mdm.v1.CommandResult.$Properties): portal.mdm.v1.CommandResult;

                /**
                 * Encodes the specified CommandResult message. Does not implicitly {@link portal.mdm.v1.CommandResult.verify|verify} messages.
                 * @param message CommandResult message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: portal.mdm.v1.CommandResult.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a CommandResult message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.CommandResult & portal.mdm.v1.CommandResult.$Shape} CommandResult
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): portal.mdm.v1.CommandResult & portal.mdm.v1.CommandResult.$Shape;
            }

            namespace CommandResult {

                /** Properties of a CommandResult. */
                interface $Properties {

                    /** CommandResult commandId */
                    commandId?: (string|null);

                    /** CommandResult status */
                    status?: (portal.mdm.v1.CommandResult.Status|null);

                    /** CommandResult errorCode */
                    errorCode?: (string|null);

                    /** CommandResult message */
                    message?: (string|null);

                    /** CommandResult atMs */
                    atMs?: (number|null);

                    /** CommandResult state */
                    state?: (portal.mdm.v1.DeviceState.$Properties|null);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a CommandResult. */
                type $Shape = portal.mdm.v1.CommandResult.$Properties;

                /** Status enum. */
                enum Status {

                    /** STATUS_UNSPECIFIED value */
                    STATUS_UNSPECIFIED = 0,

                    /** ACCEPTED value */
                    ACCEPTED = 1,

                    /** SUCCEEDED value */
                    SUCCEEDED = 2,

                    /** FAILED value */
                    FAILED = 3,

                    /** REJECTED value */
                    REJECTED = 4
                }
            }

            /**
             * Properties of a DesiredConfig.
             * @deprecated Use portal.mdm.v1.DesiredConfig.$Properties instead.
             */
            interface IDesiredConfig extends portal.mdm.v1.DesiredConfig.$Properties {
            }

            /** Represents a DesiredConfig. */
            class DesiredConfig {

                /**
                 * Constructs a new DesiredConfig.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: portal.mdm.v1.DesiredConfig.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** DesiredConfig version. */
                version: number;

                /** DesiredConfig name. */
                name: string;

                /** DesiredConfig time. */
                time?: (portal.mdm.v1.TimeSettings.$Properties|null);

                /** DesiredConfig signingKeys. */
                signingKeys?: (portal.mdm.v1.SignedKeySet.$Properties|null);

                /** DesiredConfig mqttUrls. */
                mqttUrls: string[];

                /**
                 * Creates a new DesiredConfig instance using the specified properties.
                 * @param [properties] Properties to set
                 * @returns DesiredConfig instance
                 */
                static create(properties: portal.mdm.v1.DesiredConfig.$Shape): portal.mdm.v1.DesiredConfig & portal.mdm.v1.DesiredConfig.$Shape;
                static create(properties?: portal.mdm.v1.DesiredConfig.$Properties): portal.mdm.v1.DesiredConfig;

                /**
                 * Encodes the specified DesiredConfig message. Does not implicitly {@link portal.mdm.v1.DesiredConfig.verify|verify} messages.
                 * @param message DesiredConfig message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: portal.mdm.v1.DesiredConfig.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a DesiredConfig message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.DesiredConfig & portal.mdm.v1.DesiredConfig.$Shape} DesiredConfig
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): portal.mdm.v1.DesiredConfig & portal.mdm.v1.DesiredConfig.$Shape;
            }

            namespace DesiredConfig {

                /** Properties of a DesiredConfig. */
                interface $Properties {

                    /** DesiredConfig version */
                    version?: (number|null);

                    /** DesiredConfig name */
                    name?: (string|null);

                    /** DesiredConfig time */
                    time?: (portal.mdm.v1.TimeSettings.$Properties|null);

                    /** DesiredConfig signingKeys */
                    signingKeys?: (portal.mdm.v1.SignedKeySet.$Properties|null);

                    /** DesiredConfig mqttUrls */
                    mqttUrls?: (string[]|null);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a DesiredConfig. */
                type $Shape = portal.mdm.v1.DesiredConfig.$Properties;
            }

            /**
             * Properties of a SigningKey.
             * @deprecated Use portal.mdm.v1.SigningKey.$Properties instead.
             */
            interface ISigningKey extends portal.mdm.v1.SigningKey.$Properties {
            }

            /** Represents a SigningKey. */
            class SigningKey {

                /**
                 * Constructs a new SigningKey.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: portal.mdm.v1.SigningKey.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** SigningKey keyId. */
                keyId: string;

                /** SigningKey publicKey. */
                publicKey: Uint8Array;

                /**
                 * Creates a new SigningKey instance using the specified properties.
                 * @param [properties] Properties to set
                 * @returns SigningKey instance
                 */
                static create(properties: portal.mdm.v1.SigningKey.$Shape): portal.mdm.v1.SigningKey & portal.mdm.v1.SigningKey.$Shape;
                static create(properties?: portal.mdm.v1.SigningKey.$Properties): portal.mdm.v1.SigningKey;

                /**
                 * Encodes the specified SigningKey message. Does not implicitly {@link portal.mdm.v1.SigningKey.verify|verify} messages.
                 * @param message SigningKey message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: portal.mdm.v1.SigningKey.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a SigningKey message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.SigningKey & portal.mdm.v1.SigningKey.$Shape} SigningKey
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): portal.mdm.v1.SigningKey & portal.mdm.v1.SigningKey.$Shape;
            }

            namespace SigningKey {

                /** Properties of a SigningKey. */
                interface $Properties {

                    /** SigningKey keyId */
                    keyId?: (string|null);

                    /** SigningKey publicKey */
                    publicKey?: (Uint8Array|null);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a SigningKey. */
                type $Shape = portal.mdm.v1.SigningKey.$Properties;
            }

            /**
             * Properties of a SigningKeySet.
             * @deprecated Use portal.mdm.v1.SigningKeySet.$Properties instead.
             */
            interface ISigningKeySet extends portal.mdm.v1.SigningKeySet.$Properties {
            }

            /** Represents a SigningKeySet. */
            class SigningKeySet {

                /**
                 * Constructs a new SigningKeySet.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: portal.mdm.v1.SigningKeySet.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** SigningKeySet version. */
                version: number;

                /** SigningKeySet keys. */
                keys: portal.mdm.v1.SigningKey.$Properties[];

                /**
                 * Creates a new SigningKeySet instance using the specified properties.
                 * @param [properties] Properties to set
                 * @returns SigningKeySet instance
                 */
                static create(properties: portal.mdm.v1.SigningKeySet.$Shape): portal.mdm.v1.SigningKeySet & portal.mdm.v1.SigningKeySet.$Shape;
                static create(properties?: portal.mdm.v1.SigningKeySet.$Properties): portal.mdm.v1.SigningKeySet;

                /**
                 * Encodes the specified SigningKeySet message. Does not implicitly {@link portal.mdm.v1.SigningKeySet.verify|verify} messages.
                 * @param message SigningKeySet message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: portal.mdm.v1.SigningKeySet.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a SigningKeySet message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.SigningKeySet & portal.mdm.v1.SigningKeySet.$Shape} SigningKeySet
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): portal.mdm.v1.SigningKeySet & portal.mdm.v1.SigningKeySet.$Shape;
            }

            namespace SigningKeySet {

                /** Properties of a SigningKeySet. */
                interface $Properties {

                    /** SigningKeySet version */
                    version?: (number|null);

                    /** SigningKeySet keys */
                    keys?: (portal.mdm.v1.SigningKey.$Properties[]|null);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a SigningKeySet. */
                type $Shape = portal.mdm.v1.SigningKeySet.$Properties;
            }

            /**
             * Properties of a SignedKeySet.
             * @deprecated Use portal.mdm.v1.SignedKeySet.$Properties instead.
             */
            interface ISignedKeySet extends portal.mdm.v1.SignedKeySet.$Properties {
            }

            /** Represents a SignedKeySet. */
            class SignedKeySet {

                /**
                 * Constructs a new SignedKeySet.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: portal.mdm.v1.SignedKeySet.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** SignedKeySet keySet. */
                keySet: Uint8Array;

                /** SignedKeySet signature. */
                signature: Uint8Array;

                /** SignedKeySet keyId. */
                keyId: string;

                /**
                 * Creates a new SignedKeySet instance using the specified properties.
                 * @param [properties] Properties to set
                 * @returns SignedKeySet instance
                 */
                static create(properties: portal.mdm.v1.SignedKeySet.$Shape): portal.mdm.v1.SignedKeySet & portal.mdm.v1.SignedKeySet.$Shape;
                static create(properties?: portal.mdm.v1.SignedKeySet.$Properties): portal.mdm.v1.SignedKeySet;

                /**
                 * Encodes the specified SignedKeySet message. Does not implicitly {@link portal.mdm.v1.SignedKeySet.verify|verify} messages.
                 * @param message SignedKeySet message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: portal.mdm.v1.SignedKeySet.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a SignedKeySet message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.SignedKeySet & portal.mdm.v1.SignedKeySet.$Shape} SignedKeySet
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): portal.mdm.v1.SignedKeySet & portal.mdm.v1.SignedKeySet.$Shape;
            }

            namespace SignedKeySet {

                /** Properties of a SignedKeySet. */
                interface $Properties {

                    /** SignedKeySet keySet */
                    keySet?: (Uint8Array|null);

                    /** SignedKeySet signature */
                    signature?: (Uint8Array|null);

                    /** SignedKeySet keyId */
                    keyId?: (string|null);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a SignedKeySet. */
                type $Shape = portal.mdm.v1.SignedKeySet.$Properties;
            }

            /**
             * Properties of a DeviceState.
             * @deprecated Use portal.mdm.v1.DeviceState.$Properties instead.
             */
            interface IDeviceState extends portal.mdm.v1.DeviceState.$Properties {
            }

            /** Represents a DeviceState. */
            class DeviceState {

                /**
                 * Constructs a new DeviceState.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: portal.mdm.v1.DeviceState.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** DeviceState atMs. */
                atMs: number;

                /** DeviceState name. */
                name: string;

                /** DeviceState locked. */
                locked: boolean;

                /** DeviceState timezone. */
                timezone: string;

                /** DeviceState timezoneAutomatic. */
                timezoneAutomatic: boolean;

                /** DeviceState ntpServer. */
                ntpServer: string;

                /** DeviceState clockOffsetMs. */
                clockOffsetMs: number;

                /** DeviceState lastTimeSyncAtMs. */
                lastTimeSyncAtMs: number;

                /** DeviceState timeSyncError. */
                timeSyncError: string;

                /** DeviceState bootTimeMs. */
                bootTimeMs: number;

                /** DeviceState agentVersion. */
                agentVersion: string;

                /** DeviceState appliedConfigVersion. */
                appliedConfigVersion: number;

                /** DeviceState model. */
                model: string;

                /** DeviceState serial. */
                serial: string;

                /** DeviceState telemetry. */
                telemetry?: (portal.mdm.v1.Telemetry.$Properties|null);

                /** DeviceState signingKeysVersion. */
                signingKeysVersion: number;

                /** DeviceState configError. */
                configError: string;

                /** DeviceState configErrorVersion. */
                configErrorVersion: number;

                /**
                 * Creates a new DeviceState instance using the specified properties.
                 * @param [properties] Properties to set
                 * @returns DeviceState instance
                 */
                static create(properties: portal.mdm.v1.DeviceState.$Shape): portal.mdm.v1.DeviceState & portal.mdm.v1.DeviceState.$Shape;
                static create(properties?: portal.mdm.v1.DeviceState.$Properties): portal.mdm.v1.DeviceState;

                /**
                 * Encodes the specified DeviceState message. Does not implicitly {@link portal.mdm.v1.DeviceState.verify|verify} messages.
                 * @param message DeviceState message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: portal.mdm.v1.DeviceState.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a DeviceState message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.DeviceState & portal.mdm.v1.DeviceState.$Shape} DeviceState
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): portal.mdm.v1.DeviceState & portal.mdm.v1.DeviceState.$Shape;
            }

            namespace DeviceState {

                /** Properties of a DeviceState. */
                interface $Properties {

                    /** DeviceState atMs */
                    atMs?: (number|null);

                    /** DeviceState name */
                    name?: (string|null);

                    /** DeviceState locked */
                    locked?: (boolean|null);

                    /** DeviceState timezone */
                    timezone?: (string|null);

                    /** DeviceState timezoneAutomatic */
                    timezoneAutomatic?: (boolean|null);

                    /** DeviceState ntpServer */
                    ntpServer?: (string|null);

                    /** DeviceState clockOffsetMs */
                    clockOffsetMs?: (number|null);

                    /** DeviceState lastTimeSyncAtMs */
                    lastTimeSyncAtMs?: (number|null);

                    /** DeviceState timeSyncError */
                    timeSyncError?: (string|null);

                    /** DeviceState bootTimeMs */
                    bootTimeMs?: (number|null);

                    /** DeviceState agentVersion */
                    agentVersion?: (string|null);

                    /** DeviceState appliedConfigVersion */
                    appliedConfigVersion?: (number|null);

                    /** DeviceState model */
                    model?: (string|null);

                    /** DeviceState serial */
                    serial?: (string|null);

                    /** DeviceState telemetry */
                    telemetry?: (portal.mdm.v1.Telemetry.$Properties|null);

                    /** DeviceState signingKeysVersion */
                    signingKeysVersion?: (number|null);

                    /** DeviceState configError */
                    configError?: (string|null);

                    /** DeviceState configErrorVersion */
                    configErrorVersion?: (number|null);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a DeviceState. */
                type $Shape = portal.mdm.v1.DeviceState.$Properties;
            }

            /**
             * Properties of a Telemetry.
             * @deprecated Use portal.mdm.v1.Telemetry.$Properties instead.
             */
            interface ITelemetry extends portal.mdm.v1.Telemetry.$Properties {
            }

            /** Represents a Telemetry. */
            class Telemetry {

                /**
                 * Constructs a new Telemetry.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: portal.mdm.v1.Telemetry.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** Telemetry cpuLoadPercent. */
                cpuLoadPercent: number;

                /** Telemetry memoryTotalBytes. */
                memoryTotalBytes: number;

                /** Telemetry memoryUsedBytes. */
                memoryUsedBytes: number;

                /** Telemetry diskTotalBytes. */
                diskTotalBytes: number;

                /** Telemetry diskUsedBytes. */
                diskUsedBytes: number;

                /** Telemetry uptimeSeconds. */
                uptimeSeconds: number;

                /** Telemetry os. */
                os: string;

                /** Telemetry osVersion. */
                osVersion: string;

                /** Telemetry batteryPercent. */
                batteryPercent: number;

                /** Telemetry interfaces. */
                interfaces: portal.mdm.v1.NetworkInterface.$Properties[];

                /**
                 * Creates a new Telemetry instance using the specified properties.
                 * @param [properties] Properties to set
                 * @returns Telemetry instance
                 */
                static create(properties: portal.mdm.v1.Telemetry.$Shape): portal.mdm.v1.Telemetry & portal.mdm.v1.Telemetry.$Shape;
                static create(properties?: portal.mdm.v1.Telemetry.$Properties): portal.mdm.v1.Telemetry;

                /**
                 * Encodes the specified Telemetry message. Does not implicitly {@link portal.mdm.v1.Telemetry.verify|verify} messages.
                 * @param message Telemetry message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: portal.mdm.v1.Telemetry.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a Telemetry message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.Telemetry & portal.mdm.v1.Telemetry.$Shape} Telemetry
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): portal.mdm.v1.Telemetry & portal.mdm.v1.Telemetry.$Shape;
            }

            namespace Telemetry {

                /** Properties of a Telemetry. */
                interface $Properties {

                    /** Telemetry cpuLoadPercent */
                    cpuLoadPercent?: (number|null);

                    /** Telemetry memoryTotalBytes */
                    memoryTotalBytes?: (number|null);

                    /** Telemetry memoryUsedBytes */
                    memoryUsedBytes?: (number|null);

                    /** Telemetry diskTotalBytes */
                    diskTotalBytes?: (number|null);

                    /** Telemetry diskUsedBytes */
                    diskUsedBytes?: (number|null);

                    /** Telemetry uptimeSeconds */
                    uptimeSeconds?: (number|null);

                    /** Telemetry os */
                    os?: (string|null);

                    /** Telemetry osVersion */
                    osVersion?: (string|null);

                    /** Telemetry batteryPercent */
                    batteryPercent?: (number|null);

                    /** Telemetry interfaces */
                    interfaces?: (portal.mdm.v1.NetworkInterface.$Properties[]|null);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a Telemetry. */
                type $Shape = portal.mdm.v1.Telemetry.$Properties;
            }

            /**
             * Properties of a NetworkInterface.
             * @deprecated Use portal.mdm.v1.NetworkInterface.$Properties instead.
             */
            interface INetworkInterface extends portal.mdm.v1.NetworkInterface.$Properties {
            }

            /** Represents a NetworkInterface. */
            class NetworkInterface {

                /**
                 * Constructs a new NetworkInterface.
                 * @param [properties] Properties to set
                 */
                constructor(properties?: portal.mdm.v1.NetworkInterface.$Properties);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];

                /** NetworkInterface name. */
                name: string;

                /** NetworkInterface mac. */
                mac: string;

                /** NetworkInterface addresses. */
                addresses: string[];

                /**
                 * Creates a new NetworkInterface instance using the specified properties.
                 * @param [properties] Properties to set
                 * @returns NetworkInterface instance
                 */
                static create(properties: portal.mdm.v1.NetworkInterface.$Shape): portal.mdm.v1.NetworkInterface & portal.mdm.v1.NetworkInterface.$Shape;
                static create(properties?: portal.mdm.v1.NetworkInterface.$Properties): portal.mdm.v1.NetworkInterface;

                /**
                 * Encodes the specified NetworkInterface message. Does not implicitly {@link portal.mdm.v1.NetworkInterface.verify|verify} messages.
                 * @param message NetworkInterface message or plain object to encode
                 * @param [writer] Writer to encode to
                 * @returns Writer
                 */
                static encode(message: portal.mdm.v1.NetworkInterface.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                /**
                 * Decodes a NetworkInterface message from the specified reader or buffer.
                 * @param reader Reader or buffer to decode from
                 * @param [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.NetworkInterface & portal.mdm.v1.NetworkInterface.$Shape} NetworkInterface
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): portal.mdm.v1.NetworkInterface & portal.mdm.v1.NetworkInterface.$Shape;
            }

            namespace NetworkInterface {

                /** Properties of a NetworkInterface. */
                interface $Properties {

                    /** NetworkInterface name */
                    name?: (string|null);

                    /** NetworkInterface mac */
                    mac?: (string|null);

                    /** NetworkInterface addresses */
                    addresses?: (string[]|null);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];
                }

                /** Shape of a NetworkInterface. */
                type $Shape = portal.mdm.v1.NetworkInterface.$Properties;
            }
        }
    }
}
