/*eslint-disable block-scoped-var, id-length, no-control-regex, no-magic-numbers, no-mixed-operators, no-prototype-builtins, no-redeclare, no-shadow, no-var, sort-vars, default-case, jsdoc/require-param*/
import $protobuf from "protobufjs/minimal.js";

// Common aliases
const $Reader = $protobuf.Reader, $Writer = $protobuf.Writer, $util = $protobuf.util;
const $Object = $util.global.Object, $undefined = $util.global.undefined, $Error = $util.global.Error, $RangeError = $util.global.RangeError;

// Exported root namespace
const $root = $protobuf.roots["default"] || ($protobuf.roots["default"] = {});

export const portal = $root.portal = (() => {

    /**
     * Namespace portal.
     * @exports portal
     * @namespace
     */
    const portal = {};

    portal.mdm = (function() {

        /**
         * Namespace mdm.
         * @memberof portal
         * @namespace
         */
        const mdm = {};

        mdm.v1 = (function() {

            /**
             * Namespace v1.
             * @memberof portal.mdm
             * @namespace
             */
            const v1 = {};

            v1.SignedCommand = (function() {

                /**
                 * Properties of a SignedCommand.
                 * @typedef {Object} portal.mdm.v1.SignedCommand.$Properties
                 * @property {Uint8Array|null} [command] SignedCommand command
                 * @property {Uint8Array|null} [signature] SignedCommand signature
                 * @property {string|null} [keyId] SignedCommand keyId
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a SignedCommand.
                 * @memberof portal.mdm.v1
                 * @interface ISignedCommand
                 * @augments portal.mdm.v1.SignedCommand.$Properties
                 * @deprecated Use portal.mdm.v1.SignedCommand.$Properties instead.
                 */

                /**
                 * Shape of a SignedCommand.
                 * @typedef {portal.mdm.v1.SignedCommand.$Properties} portal.mdm.v1.SignedCommand.$Shape
                 */

                /**
                 * Constructs a new SignedCommand.
                 * @memberof portal.mdm.v1
                 * @classdesc Represents a SignedCommand.
                 * @constructor
                 * @param {portal.mdm.v1.SignedCommand.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const SignedCommand = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * SignedCommand command.
                 * @member {Uint8Array} command
                 * @memberof portal.mdm.v1.SignedCommand
                 * @instance
                 */
                SignedCommand.prototype.command = $util.newBuffer([]);

                /**
                 * SignedCommand signature.
                 * @member {Uint8Array} signature
                 * @memberof portal.mdm.v1.SignedCommand
                 * @instance
                 */
                SignedCommand.prototype.signature = $util.newBuffer([]);

                /**
                 * SignedCommand keyId.
                 * @member {string} keyId
                 * @memberof portal.mdm.v1.SignedCommand
                 * @instance
                 */
                SignedCommand.prototype.keyId = "";

                /**
                 * Creates a new SignedCommand instance using the specified properties.
                 * @function create
                 * @memberof portal.mdm.v1.SignedCommand
                 * @static
                 * @param {portal.mdm.v1.SignedCommand.$Properties=} [properties] Properties to set
                 * @returns {portal.mdm.v1.SignedCommand} SignedCommand instance
                 * @type {{
                 *   (properties: portal.mdm.v1.SignedCommand.$Shape): portal.mdm.v1.SignedCommand & portal.mdm.v1.SignedCommand.$Shape;
                 *   (properties?: portal.mdm.v1.SignedCommand.$Properties): portal.mdm.v1.SignedCommand;
                 * }}
                 */
                SignedCommand.create = function(properties) {
                    return new SignedCommand(properties);
                };

                /**
                 * Encodes the specified SignedCommand message. Does not implicitly {@link portal.mdm.v1.SignedCommand.verify|verify} messages.
                 * @function encode
                 * @memberof portal.mdm.v1.SignedCommand
                 * @static
                 * @param {portal.mdm.v1.SignedCommand.$Properties} message SignedCommand message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                SignedCommand.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.command != null && $Object.hasOwnProperty.call(message, "command") && message.command.length)
                        writer.uint32(/* id 1, wireType 2 =*/10).bytes(message.command);
                    if (message.signature != null && $Object.hasOwnProperty.call(message, "signature") && message.signature.length)
                        writer.uint32(/* id 2, wireType 2 =*/18).bytes(message.signature);
                    if (message.keyId != null && $Object.hasOwnProperty.call(message, "keyId") && message.keyId !== "")
                        writer.uint32(/* id 3, wireType 2 =*/26).string(message.keyId);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a SignedCommand message from the specified reader or buffer.
                 * @function decode
                 * @memberof portal.mdm.v1.SignedCommand
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.SignedCommand & portal.mdm.v1.SignedCommand.$Shape} SignedCommand
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                SignedCommand.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.portal.mdm.v1.SignedCommand();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.bytes()).length)
                                    message.command = value;
                                else
                                    delete message.command;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.bytes()).length)
                                    message.signature = value;
                                else
                                    delete message.signature;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.keyId = value;
                                else
                                    delete message.keyId;
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return SignedCommand;
            })();

            v1.Command = (function() {

                /**
                 * Properties of a Command.
                 * @typedef {Object} portal.mdm.v1.Command.$Properties
                 * @property {string|null} [id] Command id
                 * @property {string|null} [deviceId] Command deviceId
                 * @property {number|null} [seq] Command seq
                 * @property {number|null} [issuedAtMs] Command issuedAtMs
                 * @property {number|null} [expiresAtMs] Command expiresAtMs
                 * @property {portal.mdm.v1.Lock.$Properties|null} [lock] Command lock
                 * @property {portal.mdm.v1.Reboot.$Properties|null} [reboot] Command reboot
                 * @property {portal.mdm.v1.FactoryReset.$Properties|null} [factoryReset] Command factoryReset
                 * @property {portal.mdm.v1.Rename.$Properties|null} [rename] Command rename
                 * @property {portal.mdm.v1.SetTimeSettings.$Properties|null} [setTimeSettings] Command setTimeSettings
                 * @property {portal.mdm.v1.StopManaging.$Properties|null} [stopManaging] Command stopManaging
                 * @property {portal.mdm.v1.Deactivate.$Properties|null} [deactivate] Command deactivate
                 * @property {portal.mdm.v1.RefreshState.$Properties|null} [refreshState] Command refreshState
                 * @property {"lock"|"reboot"|"factoryReset"|"rename"|"setTimeSettings"|"stopManaging"|"deactivate"|"refreshState"} [action] Command action
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a Command.
                 * @memberof portal.mdm.v1
                 * @interface ICommand
                 * @augments portal.mdm.v1.Command.$Properties
                 * @deprecated Use portal.mdm.v1.Command.$Properties instead.
                 */

                /**
                 * Narrowed shape of a Command.
                 * @typedef {{
                 *   id?: string|null;
                 *   deviceId?: string|null;
                 *   seq?: number|null;
                 *   issuedAtMs?: number|null;
                 *   expiresAtMs?: number|null;
                 *   lock?: portal.mdm.v1.Lock.$Shape|null;
                 *   reboot?: portal.mdm.v1.Reboot.$Shape|null;
                 *   factoryReset?: portal.mdm.v1.FactoryReset.$Shape|null;
                 *   rename?: portal.mdm.v1.Rename.$Shape|null;
                 *   setTimeSettings?: portal.mdm.v1.SetTimeSettings.$Shape|null;
                 *   stopManaging?: portal.mdm.v1.StopManaging.$Shape|null;
                 *   deactivate?: portal.mdm.v1.Deactivate.$Shape|null;
                 *   refreshState?: portal.mdm.v1.RefreshState.$Shape|null;
                 *   $unknowns?: Array.<Uint8Array>;
                 * } & (
                 *   ({ action?: undefined; lock?: null; reboot?: null; factoryReset?: null; rename?: null; setTimeSettings?: null; stopManaging?: null; deactivate?: null; refreshState?: null }|{ action?: "lock"; lock: portal.mdm.v1.Lock.$Shape; reboot?: null; factoryReset?: null; rename?: null; setTimeSettings?: null; stopManaging?: null; deactivate?: null; refreshState?: null }|{ action?: "reboot"; lock?: null; reboot: portal.mdm.v1.Reboot.$Shape; factoryReset?: null; rename?: null; setTimeSettings?: null; stopManaging?: null; deactivate?: null; refreshState?: null }|{ action?: "factoryReset"; lock?: null; reboot?: null; factoryReset: portal.mdm.v1.FactoryReset.$Shape; rename?: null; setTimeSettings?: null; stopManaging?: null; deactivate?: null; refreshState?: null }|{ action?: "rename"; lock?: null; reboot?: null; factoryReset?: null; rename: portal.mdm.v1.Rename.$Shape; setTimeSettings?: null; stopManaging?: null; deactivate?: null; refreshState?: null }|{ action?: "setTimeSettings"; lock?: null; reboot?: null; factoryReset?: null; rename?: null; setTimeSettings: portal.mdm.v1.SetTimeSettings.$Shape; stopManaging?: null; deactivate?: null; refreshState?: null }|{ action?: "stopManaging"; lock?: null; reboot?: null; factoryReset?: null; rename?: null; setTimeSettings?: null; stopManaging: portal.mdm.v1.StopManaging.$Shape; deactivate?: null; refreshState?: null }|{ action?: "deactivate"; lock?: null; reboot?: null; factoryReset?: null; rename?: null; setTimeSettings?: null; stopManaging?: null; deactivate: portal.mdm.v1.Deactivate.$Shape; refreshState?: null }|{ action?: "refreshState"; lock?: null; reboot?: null; factoryReset?: null; rename?: null; setTimeSettings?: null; stopManaging?: null; deactivate?: null; refreshState: portal.mdm.v1.RefreshState.$Shape })
                 * )} portal.mdm.v1.Command.$Shape
                 */

                /**
                 * Constructs a new Command.
                 * @memberof portal.mdm.v1
                 * @classdesc Represents a Command.
                 * @constructor
                 * @param {portal.mdm.v1.Command.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Command = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Command id.
                 * @member {string} id
                 * @memberof portal.mdm.v1.Command
                 * @instance
                 */
                Command.prototype.id = "";

                /**
                 * Command deviceId.
                 * @member {string} deviceId
                 * @memberof portal.mdm.v1.Command
                 * @instance
                 */
                Command.prototype.deviceId = "";

                /**
                 * Command seq.
                 * @member {number} seq
                 * @memberof portal.mdm.v1.Command
                 * @instance
                 */
                Command.prototype.seq = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * Command issuedAtMs.
                 * @member {number} issuedAtMs
                 * @memberof portal.mdm.v1.Command
                 * @instance
                 */
                Command.prototype.issuedAtMs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * Command expiresAtMs.
                 * @member {number} expiresAtMs
                 * @memberof portal.mdm.v1.Command
                 * @instance
                 */
                Command.prototype.expiresAtMs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * Command lock.
                 * @member {portal.mdm.v1.Lock.$Properties|null|undefined} lock
                 * @memberof portal.mdm.v1.Command
                 * @instance
                 */
                Command.prototype.lock = null;

                /**
                 * Command reboot.
                 * @member {portal.mdm.v1.Reboot.$Properties|null|undefined} reboot
                 * @memberof portal.mdm.v1.Command
                 * @instance
                 */
                Command.prototype.reboot = null;

                /**
                 * Command factoryReset.
                 * @member {portal.mdm.v1.FactoryReset.$Properties|null|undefined} factoryReset
                 * @memberof portal.mdm.v1.Command
                 * @instance
                 */
                Command.prototype.factoryReset = null;

                /**
                 * Command rename.
                 * @member {portal.mdm.v1.Rename.$Properties|null|undefined} rename
                 * @memberof portal.mdm.v1.Command
                 * @instance
                 */
                Command.prototype.rename = null;

                /**
                 * Command setTimeSettings.
                 * @member {portal.mdm.v1.SetTimeSettings.$Properties|null|undefined} setTimeSettings
                 * @memberof portal.mdm.v1.Command
                 * @instance
                 */
                Command.prototype.setTimeSettings = null;

                /**
                 * Command stopManaging.
                 * @member {portal.mdm.v1.StopManaging.$Properties|null|undefined} stopManaging
                 * @memberof portal.mdm.v1.Command
                 * @instance
                 */
                Command.prototype.stopManaging = null;

                /**
                 * Command deactivate.
                 * @member {portal.mdm.v1.Deactivate.$Properties|null|undefined} deactivate
                 * @memberof portal.mdm.v1.Command
                 * @instance
                 */
                Command.prototype.deactivate = null;

                /**
                 * Command refreshState.
                 * @member {portal.mdm.v1.RefreshState.$Properties|null|undefined} refreshState
                 * @memberof portal.mdm.v1.Command
                 * @instance
                 */
                Command.prototype.refreshState = null;

                // OneOf field names bound to virtual getters and setters
                let $oneOfFields;

                /**
                 * Command action.
                 * @member {"lock"|"reboot"|"factoryReset"|"rename"|"setTimeSettings"|"stopManaging"|"deactivate"|"refreshState"|undefined} action
                 * @memberof portal.mdm.v1.Command
                 * @instance
                 */
                $Object.defineProperty(Command.prototype, "action", {
                    get: $util.oneOfGetter($oneOfFields = ["lock", "reboot", "factoryReset", "rename", "setTimeSettings", "stopManaging", "deactivate", "refreshState"]),
                    set: $util.oneOfSetter($oneOfFields)
                });

                /**
                 * Creates a new Command instance using the specified properties.
                 * @function create
                 * @memberof portal.mdm.v1.Command
                 * @static
                 * @param {portal.mdm.v1.Command.$Properties=} [properties] Properties to set
                 * @returns {portal.mdm.v1.Command} Command instance
                 * @type {{
                 *   (properties: portal.mdm.v1.Command.$Shape): portal.mdm.v1.Command & portal.mdm.v1.Command.$Shape;
                 *   (properties?: portal.mdm.v1.Command.$Properties): portal.mdm.v1.Command;
                 * }}
                 */
                Command.create = function(properties) {
                    return new Command(properties);
                };

                /**
                 * Encodes the specified Command message. Does not implicitly {@link portal.mdm.v1.Command.verify|verify} messages.
                 * @function encode
                 * @memberof portal.mdm.v1.Command
                 * @static
                 * @param {portal.mdm.v1.Command.$Properties} message Command message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Command.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.id != null && $Object.hasOwnProperty.call(message, "id") && message.id !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.id);
                    if (message.deviceId != null && $Object.hasOwnProperty.call(message, "deviceId") && message.deviceId !== "")
                        writer.uint32(/* id 2, wireType 2 =*/18).string(message.deviceId);
                    if (message.seq != null && $Object.hasOwnProperty.call(message, "seq") && (typeof message.seq === "object" ? message.seq.low || message.seq.high : message.seq !== 0))
                        writer.uint32(/* id 3, wireType 0 =*/24).uint64(message.seq);
                    if (message.issuedAtMs != null && $Object.hasOwnProperty.call(message, "issuedAtMs") && (typeof message.issuedAtMs === "object" ? message.issuedAtMs.low || message.issuedAtMs.high : message.issuedAtMs !== 0))
                        writer.uint32(/* id 4, wireType 0 =*/32).uint64(message.issuedAtMs);
                    if (message.expiresAtMs != null && $Object.hasOwnProperty.call(message, "expiresAtMs") && (typeof message.expiresAtMs === "object" ? message.expiresAtMs.low || message.expiresAtMs.high : message.expiresAtMs !== 0))
                        writer.uint32(/* id 5, wireType 0 =*/40).uint64(message.expiresAtMs);
                    if (message.lock != null && $Object.hasOwnProperty.call(message, "lock"))
                        $root.portal.mdm.v1.Lock.encode(message.lock, writer.uint32(/* id 10, wireType 2 =*/82).fork(), _depth + 1).ldelim();
                    if (message.reboot != null && $Object.hasOwnProperty.call(message, "reboot"))
                        $root.portal.mdm.v1.Reboot.encode(message.reboot, writer.uint32(/* id 11, wireType 2 =*/90).fork(), _depth + 1).ldelim();
                    if (message.factoryReset != null && $Object.hasOwnProperty.call(message, "factoryReset"))
                        $root.portal.mdm.v1.FactoryReset.encode(message.factoryReset, writer.uint32(/* id 12, wireType 2 =*/98).fork(), _depth + 1).ldelim();
                    if (message.rename != null && $Object.hasOwnProperty.call(message, "rename"))
                        $root.portal.mdm.v1.Rename.encode(message.rename, writer.uint32(/* id 13, wireType 2 =*/106).fork(), _depth + 1).ldelim();
                    if (message.setTimeSettings != null && $Object.hasOwnProperty.call(message, "setTimeSettings"))
                        $root.portal.mdm.v1.SetTimeSettings.encode(message.setTimeSettings, writer.uint32(/* id 14, wireType 2 =*/114).fork(), _depth + 1).ldelim();
                    if (message.stopManaging != null && $Object.hasOwnProperty.call(message, "stopManaging"))
                        $root.portal.mdm.v1.StopManaging.encode(message.stopManaging, writer.uint32(/* id 15, wireType 2 =*/122).fork(), _depth + 1).ldelim();
                    if (message.deactivate != null && $Object.hasOwnProperty.call(message, "deactivate"))
                        $root.portal.mdm.v1.Deactivate.encode(message.deactivate, writer.uint32(/* id 16, wireType 2 =*/130).fork(), _depth + 1).ldelim();
                    if (message.refreshState != null && $Object.hasOwnProperty.call(message, "refreshState"))
                        $root.portal.mdm.v1.RefreshState.encode(message.refreshState, writer.uint32(/* id 17, wireType 2 =*/138).fork(), _depth + 1).ldelim();
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a Command message from the specified reader or buffer.
                 * @function decode
                 * @memberof portal.mdm.v1.Command
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.Command & portal.mdm.v1.Command.$Shape} Command
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Command.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.portal.mdm.v1.Command();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.id = value;
                                else
                                    delete message.id;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.deviceId = value;
                                else
                                    delete message.deviceId;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.seq = value;
                                else
                                    delete message.seq;
                                continue;
                            }
                        case 4: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.issuedAtMs = value;
                                else
                                    delete message.issuedAtMs;
                                continue;
                            }
                        case 5: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.expiresAtMs = value;
                                else
                                    delete message.expiresAtMs;
                                continue;
                            }
                        case 10: {
                                if (wireType !== 2)
                                    break;
                                message.lock = $root.portal.mdm.v1.Lock.decode(reader, reader.size(), $undefined, _depth + 1, message.lock);
                                message.action = "lock";
                                continue;
                            }
                        case 11: {
                                if (wireType !== 2)
                                    break;
                                message.reboot = $root.portal.mdm.v1.Reboot.decode(reader, reader.size(), $undefined, _depth + 1, message.reboot);
                                message.action = "reboot";
                                continue;
                            }
                        case 12: {
                                if (wireType !== 2)
                                    break;
                                message.factoryReset = $root.portal.mdm.v1.FactoryReset.decode(reader, reader.size(), $undefined, _depth + 1, message.factoryReset);
                                message.action = "factoryReset";
                                continue;
                            }
                        case 13: {
                                if (wireType !== 2)
                                    break;
                                message.rename = $root.portal.mdm.v1.Rename.decode(reader, reader.size(), $undefined, _depth + 1, message.rename);
                                message.action = "rename";
                                continue;
                            }
                        case 14: {
                                if (wireType !== 2)
                                    break;
                                message.setTimeSettings = $root.portal.mdm.v1.SetTimeSettings.decode(reader, reader.size(), $undefined, _depth + 1, message.setTimeSettings);
                                message.action = "setTimeSettings";
                                continue;
                            }
                        case 15: {
                                if (wireType !== 2)
                                    break;
                                message.stopManaging = $root.portal.mdm.v1.StopManaging.decode(reader, reader.size(), $undefined, _depth + 1, message.stopManaging);
                                message.action = "stopManaging";
                                continue;
                            }
                        case 16: {
                                if (wireType !== 2)
                                    break;
                                message.deactivate = $root.portal.mdm.v1.Deactivate.decode(reader, reader.size(), $undefined, _depth + 1, message.deactivate);
                                message.action = "deactivate";
                                continue;
                            }
                        case 17: {
                                if (wireType !== 2)
                                    break;
                                message.refreshState = $root.portal.mdm.v1.RefreshState.decode(reader, reader.size(), $undefined, _depth + 1, message.refreshState);
                                message.action = "refreshState";
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return Command;
            })();

            v1.Lock = (function() {

                /**
                 * Properties of a Lock.
                 * @typedef {Object} portal.mdm.v1.Lock.$Properties
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a Lock.
                 * @memberof portal.mdm.v1
                 * @interface ILock
                 * @augments portal.mdm.v1.Lock.$Properties
                 * @deprecated Use portal.mdm.v1.Lock.$Properties instead.
                 */

                /**
                 * Shape of a Lock.
                 * @typedef {portal.mdm.v1.Lock.$Properties} portal.mdm.v1.Lock.$Shape
                 */

                /**
                 * Constructs a new Lock.
                 * @memberof portal.mdm.v1
                 * @classdesc Represents a Lock.
                 * @constructor
                 * @param {portal.mdm.v1.Lock.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Lock = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Creates a new Lock instance using the specified properties.
                 * @function create
                 * @memberof portal.mdm.v1.Lock
                 * @static
                 * @param {portal.mdm.v1.Lock.$Properties=} [properties] Properties to set
                 * @returns {portal.mdm.v1.Lock} Lock instance
                 * @type {{
                 *   (properties: portal.mdm.v1.Lock.$Shape): portal.mdm.v1.Lock & portal.mdm.v1.Lock.$Shape;
                 *   (properties?: portal.mdm.v1.Lock.$Properties): portal.mdm.v1.Lock;
                 * }}
                 */
                Lock.create = function(properties) {
                    return new Lock(properties);
                };

                /**
                 * Encodes the specified Lock message. Does not implicitly {@link portal.mdm.v1.Lock.verify|verify} messages.
                 * @function encode
                 * @memberof portal.mdm.v1.Lock
                 * @static
                 * @param {portal.mdm.v1.Lock.$Properties} message Lock message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Lock.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a Lock message from the specified reader or buffer.
                 * @function decode
                 * @memberof portal.mdm.v1.Lock
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.Lock & portal.mdm.v1.Lock.$Shape} Lock
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Lock.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.portal.mdm.v1.Lock();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        reader.skipType(tag & 7, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return Lock;
            })();

            v1.Reboot = (function() {

                /**
                 * Properties of a Reboot.
                 * @typedef {Object} portal.mdm.v1.Reboot.$Properties
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a Reboot.
                 * @memberof portal.mdm.v1
                 * @interface IReboot
                 * @augments portal.mdm.v1.Reboot.$Properties
                 * @deprecated Use portal.mdm.v1.Reboot.$Properties instead.
                 */

                /**
                 * Shape of a Reboot.
                 * @typedef {portal.mdm.v1.Reboot.$Properties} portal.mdm.v1.Reboot.$Shape
                 */

                /**
                 * Constructs a new Reboot.
                 * @memberof portal.mdm.v1
                 * @classdesc Represents a Reboot.
                 * @constructor
                 * @param {portal.mdm.v1.Reboot.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Reboot = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Creates a new Reboot instance using the specified properties.
                 * @function create
                 * @memberof portal.mdm.v1.Reboot
                 * @static
                 * @param {portal.mdm.v1.Reboot.$Properties=} [properties] Properties to set
                 * @returns {portal.mdm.v1.Reboot} Reboot instance
                 * @type {{
                 *   (properties: portal.mdm.v1.Reboot.$Shape): portal.mdm.v1.Reboot & portal.mdm.v1.Reboot.$Shape;
                 *   (properties?: portal.mdm.v1.Reboot.$Properties): portal.mdm.v1.Reboot;
                 * }}
                 */
                Reboot.create = function(properties) {
                    return new Reboot(properties);
                };

                /**
                 * Encodes the specified Reboot message. Does not implicitly {@link portal.mdm.v1.Reboot.verify|verify} messages.
                 * @function encode
                 * @memberof portal.mdm.v1.Reboot
                 * @static
                 * @param {portal.mdm.v1.Reboot.$Properties} message Reboot message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Reboot.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a Reboot message from the specified reader or buffer.
                 * @function decode
                 * @memberof portal.mdm.v1.Reboot
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.Reboot & portal.mdm.v1.Reboot.$Shape} Reboot
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Reboot.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.portal.mdm.v1.Reboot();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        reader.skipType(tag & 7, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return Reboot;
            })();

            v1.FactoryReset = (function() {

                /**
                 * Properties of a FactoryReset.
                 * @typedef {Object} portal.mdm.v1.FactoryReset.$Properties
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a FactoryReset.
                 * @memberof portal.mdm.v1
                 * @interface IFactoryReset
                 * @augments portal.mdm.v1.FactoryReset.$Properties
                 * @deprecated Use portal.mdm.v1.FactoryReset.$Properties instead.
                 */

                /**
                 * Shape of a FactoryReset.
                 * @typedef {portal.mdm.v1.FactoryReset.$Properties} portal.mdm.v1.FactoryReset.$Shape
                 */

                /**
                 * Constructs a new FactoryReset.
                 * @memberof portal.mdm.v1
                 * @classdesc Represents a FactoryReset.
                 * @constructor
                 * @param {portal.mdm.v1.FactoryReset.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const FactoryReset = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Creates a new FactoryReset instance using the specified properties.
                 * @function create
                 * @memberof portal.mdm.v1.FactoryReset
                 * @static
                 * @param {portal.mdm.v1.FactoryReset.$Properties=} [properties] Properties to set
                 * @returns {portal.mdm.v1.FactoryReset} FactoryReset instance
                 * @type {{
                 *   (properties: portal.mdm.v1.FactoryReset.$Shape): portal.mdm.v1.FactoryReset & portal.mdm.v1.FactoryReset.$Shape;
                 *   (properties?: portal.mdm.v1.FactoryReset.$Properties): portal.mdm.v1.FactoryReset;
                 * }}
                 */
                FactoryReset.create = function(properties) {
                    return new FactoryReset(properties);
                };

                /**
                 * Encodes the specified FactoryReset message. Does not implicitly {@link portal.mdm.v1.FactoryReset.verify|verify} messages.
                 * @function encode
                 * @memberof portal.mdm.v1.FactoryReset
                 * @static
                 * @param {portal.mdm.v1.FactoryReset.$Properties} message FactoryReset message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                FactoryReset.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a FactoryReset message from the specified reader or buffer.
                 * @function decode
                 * @memberof portal.mdm.v1.FactoryReset
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.FactoryReset & portal.mdm.v1.FactoryReset.$Shape} FactoryReset
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                FactoryReset.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.portal.mdm.v1.FactoryReset();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        reader.skipType(tag & 7, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return FactoryReset;
            })();

            v1.Rename = (function() {

                /**
                 * Properties of a Rename.
                 * @typedef {Object} portal.mdm.v1.Rename.$Properties
                 * @property {string|null} [name] Rename name
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a Rename.
                 * @memberof portal.mdm.v1
                 * @interface IRename
                 * @augments portal.mdm.v1.Rename.$Properties
                 * @deprecated Use portal.mdm.v1.Rename.$Properties instead.
                 */

                /**
                 * Shape of a Rename.
                 * @typedef {portal.mdm.v1.Rename.$Properties} portal.mdm.v1.Rename.$Shape
                 */

                /**
                 * Constructs a new Rename.
                 * @memberof portal.mdm.v1
                 * @classdesc Represents a Rename.
                 * @constructor
                 * @param {portal.mdm.v1.Rename.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Rename = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Rename name.
                 * @member {string} name
                 * @memberof portal.mdm.v1.Rename
                 * @instance
                 */
                Rename.prototype.name = "";

                /**
                 * Creates a new Rename instance using the specified properties.
                 * @function create
                 * @memberof portal.mdm.v1.Rename
                 * @static
                 * @param {portal.mdm.v1.Rename.$Properties=} [properties] Properties to set
                 * @returns {portal.mdm.v1.Rename} Rename instance
                 * @type {{
                 *   (properties: portal.mdm.v1.Rename.$Shape): portal.mdm.v1.Rename & portal.mdm.v1.Rename.$Shape;
                 *   (properties?: portal.mdm.v1.Rename.$Properties): portal.mdm.v1.Rename;
                 * }}
                 */
                Rename.create = function(properties) {
                    return new Rename(properties);
                };

                /**
                 * Encodes the specified Rename message. Does not implicitly {@link portal.mdm.v1.Rename.verify|verify} messages.
                 * @function encode
                 * @memberof portal.mdm.v1.Rename
                 * @static
                 * @param {portal.mdm.v1.Rename.$Properties} message Rename message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Rename.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name") && message.name !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.name);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a Rename message from the specified reader or buffer.
                 * @function decode
                 * @memberof portal.mdm.v1.Rename
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.Rename & portal.mdm.v1.Rename.$Shape} Rename
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Rename.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.portal.mdm.v1.Rename();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.name = value;
                                else
                                    delete message.name;
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return Rename;
            })();

            v1.SetTimeSettings = (function() {

                /**
                 * Properties of a SetTimeSettings.
                 * @typedef {Object} portal.mdm.v1.SetTimeSettings.$Properties
                 * @property {portal.mdm.v1.TimeSettings.$Properties|null} [settings] SetTimeSettings settings
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a SetTimeSettings.
                 * @memberof portal.mdm.v1
                 * @interface ISetTimeSettings
                 * @augments portal.mdm.v1.SetTimeSettings.$Properties
                 * @deprecated Use portal.mdm.v1.SetTimeSettings.$Properties instead.
                 */

                /**
                 * Shape of a SetTimeSettings.
                 * @typedef {portal.mdm.v1.SetTimeSettings.$Properties} portal.mdm.v1.SetTimeSettings.$Shape
                 */

                /**
                 * Constructs a new SetTimeSettings.
                 * @memberof portal.mdm.v1
                 * @classdesc Represents a SetTimeSettings.
                 * @constructor
                 * @param {portal.mdm.v1.SetTimeSettings.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const SetTimeSettings = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * SetTimeSettings settings.
                 * @member {portal.mdm.v1.TimeSettings.$Properties|null|undefined} settings
                 * @memberof portal.mdm.v1.SetTimeSettings
                 * @instance
                 */
                SetTimeSettings.prototype.settings = null;

                /**
                 * Creates a new SetTimeSettings instance using the specified properties.
                 * @function create
                 * @memberof portal.mdm.v1.SetTimeSettings
                 * @static
                 * @param {portal.mdm.v1.SetTimeSettings.$Properties=} [properties] Properties to set
                 * @returns {portal.mdm.v1.SetTimeSettings} SetTimeSettings instance
                 * @type {{
                 *   (properties: portal.mdm.v1.SetTimeSettings.$Shape): portal.mdm.v1.SetTimeSettings & portal.mdm.v1.SetTimeSettings.$Shape;
                 *   (properties?: portal.mdm.v1.SetTimeSettings.$Properties): portal.mdm.v1.SetTimeSettings;
                 * }}
                 */
                SetTimeSettings.create = function(properties) {
                    return new SetTimeSettings(properties);
                };

                /**
                 * Encodes the specified SetTimeSettings message. Does not implicitly {@link portal.mdm.v1.SetTimeSettings.verify|verify} messages.
                 * @function encode
                 * @memberof portal.mdm.v1.SetTimeSettings
                 * @static
                 * @param {portal.mdm.v1.SetTimeSettings.$Properties} message SetTimeSettings message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                SetTimeSettings.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.settings != null && $Object.hasOwnProperty.call(message, "settings"))
                        $root.portal.mdm.v1.TimeSettings.encode(message.settings, writer.uint32(/* id 1, wireType 2 =*/10).fork(), _depth + 1).ldelim();
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a SetTimeSettings message from the specified reader or buffer.
                 * @function decode
                 * @memberof portal.mdm.v1.SetTimeSettings
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.SetTimeSettings & portal.mdm.v1.SetTimeSettings.$Shape} SetTimeSettings
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                SetTimeSettings.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.portal.mdm.v1.SetTimeSettings();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                message.settings = $root.portal.mdm.v1.TimeSettings.decode(reader, reader.size(), $undefined, _depth + 1, message.settings);
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return SetTimeSettings;
            })();

            v1.StopManaging = (function() {

                /**
                 * Properties of a StopManaging.
                 * @typedef {Object} portal.mdm.v1.StopManaging.$Properties
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a StopManaging.
                 * @memberof portal.mdm.v1
                 * @interface IStopManaging
                 * @augments portal.mdm.v1.StopManaging.$Properties
                 * @deprecated Use portal.mdm.v1.StopManaging.$Properties instead.
                 */

                /**
                 * Shape of a StopManaging.
                 * @typedef {portal.mdm.v1.StopManaging.$Properties} portal.mdm.v1.StopManaging.$Shape
                 */

                /**
                 * Constructs a new StopManaging.
                 * @memberof portal.mdm.v1
                 * @classdesc Represents a StopManaging.
                 * @constructor
                 * @param {portal.mdm.v1.StopManaging.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const StopManaging = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Creates a new StopManaging instance using the specified properties.
                 * @function create
                 * @memberof portal.mdm.v1.StopManaging
                 * @static
                 * @param {portal.mdm.v1.StopManaging.$Properties=} [properties] Properties to set
                 * @returns {portal.mdm.v1.StopManaging} StopManaging instance
                 * @type {{
                 *   (properties: portal.mdm.v1.StopManaging.$Shape): portal.mdm.v1.StopManaging & portal.mdm.v1.StopManaging.$Shape;
                 *   (properties?: portal.mdm.v1.StopManaging.$Properties): portal.mdm.v1.StopManaging;
                 * }}
                 */
                StopManaging.create = function(properties) {
                    return new StopManaging(properties);
                };

                /**
                 * Encodes the specified StopManaging message. Does not implicitly {@link portal.mdm.v1.StopManaging.verify|verify} messages.
                 * @function encode
                 * @memberof portal.mdm.v1.StopManaging
                 * @static
                 * @param {portal.mdm.v1.StopManaging.$Properties} message StopManaging message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                StopManaging.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a StopManaging message from the specified reader or buffer.
                 * @function decode
                 * @memberof portal.mdm.v1.StopManaging
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.StopManaging & portal.mdm.v1.StopManaging.$Shape} StopManaging
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                StopManaging.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.portal.mdm.v1.StopManaging();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        reader.skipType(tag & 7, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return StopManaging;
            })();

            v1.Deactivate = (function() {

                /**
                 * Properties of a Deactivate.
                 * @typedef {Object} portal.mdm.v1.Deactivate.$Properties
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a Deactivate.
                 * @memberof portal.mdm.v1
                 * @interface IDeactivate
                 * @augments portal.mdm.v1.Deactivate.$Properties
                 * @deprecated Use portal.mdm.v1.Deactivate.$Properties instead.
                 */

                /**
                 * Shape of a Deactivate.
                 * @typedef {portal.mdm.v1.Deactivate.$Properties} portal.mdm.v1.Deactivate.$Shape
                 */

                /**
                 * Constructs a new Deactivate.
                 * @memberof portal.mdm.v1
                 * @classdesc Represents a Deactivate.
                 * @constructor
                 * @param {portal.mdm.v1.Deactivate.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Deactivate = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Creates a new Deactivate instance using the specified properties.
                 * @function create
                 * @memberof portal.mdm.v1.Deactivate
                 * @static
                 * @param {portal.mdm.v1.Deactivate.$Properties=} [properties] Properties to set
                 * @returns {portal.mdm.v1.Deactivate} Deactivate instance
                 * @type {{
                 *   (properties: portal.mdm.v1.Deactivate.$Shape): portal.mdm.v1.Deactivate & portal.mdm.v1.Deactivate.$Shape;
                 *   (properties?: portal.mdm.v1.Deactivate.$Properties): portal.mdm.v1.Deactivate;
                 * }}
                 */
                Deactivate.create = function(properties) {
                    return new Deactivate(properties);
                };

                /**
                 * Encodes the specified Deactivate message. Does not implicitly {@link portal.mdm.v1.Deactivate.verify|verify} messages.
                 * @function encode
                 * @memberof portal.mdm.v1.Deactivate
                 * @static
                 * @param {portal.mdm.v1.Deactivate.$Properties} message Deactivate message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Deactivate.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a Deactivate message from the specified reader or buffer.
                 * @function decode
                 * @memberof portal.mdm.v1.Deactivate
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.Deactivate & portal.mdm.v1.Deactivate.$Shape} Deactivate
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Deactivate.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.portal.mdm.v1.Deactivate();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        reader.skipType(tag & 7, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return Deactivate;
            })();

            v1.RefreshState = (function() {

                /**
                 * Properties of a RefreshState.
                 * @typedef {Object} portal.mdm.v1.RefreshState.$Properties
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a RefreshState.
                 * @memberof portal.mdm.v1
                 * @interface IRefreshState
                 * @augments portal.mdm.v1.RefreshState.$Properties
                 * @deprecated Use portal.mdm.v1.RefreshState.$Properties instead.
                 */

                /**
                 * Shape of a RefreshState.
                 * @typedef {portal.mdm.v1.RefreshState.$Properties} portal.mdm.v1.RefreshState.$Shape
                 */

                /**
                 * Constructs a new RefreshState.
                 * @memberof portal.mdm.v1
                 * @classdesc Represents a RefreshState.
                 * @constructor
                 * @param {portal.mdm.v1.RefreshState.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const RefreshState = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Creates a new RefreshState instance using the specified properties.
                 * @function create
                 * @memberof portal.mdm.v1.RefreshState
                 * @static
                 * @param {portal.mdm.v1.RefreshState.$Properties=} [properties] Properties to set
                 * @returns {portal.mdm.v1.RefreshState} RefreshState instance
                 * @type {{
                 *   (properties: portal.mdm.v1.RefreshState.$Shape): portal.mdm.v1.RefreshState & portal.mdm.v1.RefreshState.$Shape;
                 *   (properties?: portal.mdm.v1.RefreshState.$Properties): portal.mdm.v1.RefreshState;
                 * }}
                 */
                RefreshState.create = function(properties) {
                    return new RefreshState(properties);
                };

                /**
                 * Encodes the specified RefreshState message. Does not implicitly {@link portal.mdm.v1.RefreshState.verify|verify} messages.
                 * @function encode
                 * @memberof portal.mdm.v1.RefreshState
                 * @static
                 * @param {portal.mdm.v1.RefreshState.$Properties} message RefreshState message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                RefreshState.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a RefreshState message from the specified reader or buffer.
                 * @function decode
                 * @memberof portal.mdm.v1.RefreshState
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.RefreshState & portal.mdm.v1.RefreshState.$Shape} RefreshState
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                RefreshState.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.portal.mdm.v1.RefreshState();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        reader.skipType(tag & 7, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return RefreshState;
            })();

            v1.TimeSettings = (function() {

                /**
                 * Properties of a TimeSettings.
                 * @typedef {Object} portal.mdm.v1.TimeSettings.$Properties
                 * @property {string|null} [timezone] TimeSettings timezone
                 * @property {string|null} [ntpServer] TimeSettings ntpServer
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a TimeSettings.
                 * @memberof portal.mdm.v1
                 * @interface ITimeSettings
                 * @augments portal.mdm.v1.TimeSettings.$Properties
                 * @deprecated Use portal.mdm.v1.TimeSettings.$Properties instead.
                 */

                /**
                 * Shape of a TimeSettings.
                 * @typedef {portal.mdm.v1.TimeSettings.$Properties} portal.mdm.v1.TimeSettings.$Shape
                 */

                /**
                 * Constructs a new TimeSettings.
                 * @memberof portal.mdm.v1
                 * @classdesc Represents a TimeSettings.
                 * @constructor
                 * @param {portal.mdm.v1.TimeSettings.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const TimeSettings = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * TimeSettings timezone.
                 * @member {string} timezone
                 * @memberof portal.mdm.v1.TimeSettings
                 * @instance
                 */
                TimeSettings.prototype.timezone = "";

                /**
                 * TimeSettings ntpServer.
                 * @member {string} ntpServer
                 * @memberof portal.mdm.v1.TimeSettings
                 * @instance
                 */
                TimeSettings.prototype.ntpServer = "";

                /**
                 * Creates a new TimeSettings instance using the specified properties.
                 * @function create
                 * @memberof portal.mdm.v1.TimeSettings
                 * @static
                 * @param {portal.mdm.v1.TimeSettings.$Properties=} [properties] Properties to set
                 * @returns {portal.mdm.v1.TimeSettings} TimeSettings instance
                 * @type {{
                 *   (properties: portal.mdm.v1.TimeSettings.$Shape): portal.mdm.v1.TimeSettings & portal.mdm.v1.TimeSettings.$Shape;
                 *   (properties?: portal.mdm.v1.TimeSettings.$Properties): portal.mdm.v1.TimeSettings;
                 * }}
                 */
                TimeSettings.create = function(properties) {
                    return new TimeSettings(properties);
                };

                /**
                 * Encodes the specified TimeSettings message. Does not implicitly {@link portal.mdm.v1.TimeSettings.verify|verify} messages.
                 * @function encode
                 * @memberof portal.mdm.v1.TimeSettings
                 * @static
                 * @param {portal.mdm.v1.TimeSettings.$Properties} message TimeSettings message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                TimeSettings.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.timezone != null && $Object.hasOwnProperty.call(message, "timezone") && message.timezone !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.timezone);
                    if (message.ntpServer != null && $Object.hasOwnProperty.call(message, "ntpServer") && message.ntpServer !== "")
                        writer.uint32(/* id 2, wireType 2 =*/18).string(message.ntpServer);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a TimeSettings message from the specified reader or buffer.
                 * @function decode
                 * @memberof portal.mdm.v1.TimeSettings
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.TimeSettings & portal.mdm.v1.TimeSettings.$Shape} TimeSettings
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                TimeSettings.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.portal.mdm.v1.TimeSettings();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.timezone = value;
                                else
                                    delete message.timezone;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.ntpServer = value;
                                else
                                    delete message.ntpServer;
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return TimeSettings;
            })();

            v1.CommandResult = (function() {

                /**
                 * Properties of a CommandResult.
                 * @typedef {Object} portal.mdm.v1.CommandResult.$Properties
                 * @property {string|null} [commandId] CommandResult commandId
                 * @property {portal.mdm.v1.CommandResult.Status|null} [status] CommandResult status
                 * @property {string|null} [errorCode] CommandResult errorCode
                 * @property {string|null} [message] CommandResult message
                 * @property {number|null} [atMs] CommandResult atMs
                 * @property {portal.mdm.v1.DeviceState.$Properties|null} [state] CommandResult state
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a CommandResult.
                 * @memberof portal.mdm.v1
                 * @interface ICommandResult
                 * @augments portal.mdm.v1.CommandResult.$Properties
                 * @deprecated Use portal.mdm.v1.CommandResult.$Properties instead.
                 */

                /**
                 * Shape of a CommandResult.
                 * @typedef {portal.mdm.v1.CommandResult.$Properties} portal.mdm.v1.CommandResult.$Shape
                 */

                /**
                 * Constructs a new CommandResult.
                 * @memberof portal.mdm.v1
                 * @classdesc Represents a CommandResult.
                 * @constructor
                 * @param {portal.mdm.v1.CommandResult.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const CommandResult = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * CommandResult commandId.
                 * @member {string} commandId
                 * @memberof portal.mdm.v1.CommandResult
                 * @instance
                 */
                CommandResult.prototype.commandId = "";

                /**
                 * CommandResult status.
                 * @member {portal.mdm.v1.CommandResult.Status} status
                 * @memberof portal.mdm.v1.CommandResult
                 * @instance
                 */
                CommandResult.prototype.status = 0;

                /**
                 * CommandResult errorCode.
                 * @member {string} errorCode
                 * @memberof portal.mdm.v1.CommandResult
                 * @instance
                 */
                CommandResult.prototype.errorCode = "";

                /**
                 * CommandResult message.
                 * @member {string} message
                 * @memberof portal.mdm.v1.CommandResult
                 * @instance
                 */
                CommandResult.prototype.message = "";

                /**
                 * CommandResult atMs.
                 * @member {number} atMs
                 * @memberof portal.mdm.v1.CommandResult
                 * @instance
                 */
                CommandResult.prototype.atMs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * CommandResult state.
                 * @member {portal.mdm.v1.DeviceState.$Properties|null|undefined} state
                 * @memberof portal.mdm.v1.CommandResult
                 * @instance
                 */
                CommandResult.prototype.state = null;

                /**
                 * Creates a new CommandResult instance using the specified properties.
                 * @function create
                 * @memberof portal.mdm.v1.CommandResult
                 * @static
                 * @param {portal.mdm.v1.CommandResult.$Properties=} [properties] Properties to set
                 * @returns {portal.mdm.v1.CommandResult} CommandResult instance
                 * @type {{
                 *   (properties: portal.mdm.v1.CommandResult.$Shape): portal.mdm.v1.CommandResult & portal.mdm.v1.CommandResult.$Shape;
                 *   (properties?: portal.mdm.v1.CommandResult.$Properties): portal.mdm.v1.CommandResult;
                 * }}
                 */
                CommandResult.create = function(properties) {
                    return new CommandResult(properties);
                };

                /**
                 * Encodes the specified CommandResult message. Does not implicitly {@link portal.mdm.v1.CommandResult.verify|verify} messages.
                 * @function encode
                 * @memberof portal.mdm.v1.CommandResult
                 * @static
                 * @param {portal.mdm.v1.CommandResult.$Properties} message CommandResult message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                CommandResult.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.commandId != null && $Object.hasOwnProperty.call(message, "commandId") && message.commandId !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.commandId);
                    if (message.status != null && $Object.hasOwnProperty.call(message, "status") && message.status !== 0)
                        writer.uint32(/* id 2, wireType 0 =*/16).int32(message.status);
                    if (message.errorCode != null && $Object.hasOwnProperty.call(message, "errorCode") && message.errorCode !== "")
                        writer.uint32(/* id 3, wireType 2 =*/26).string(message.errorCode);
                    if (message.message != null && $Object.hasOwnProperty.call(message, "message") && message.message !== "")
                        writer.uint32(/* id 4, wireType 2 =*/34).string(message.message);
                    if (message.atMs != null && $Object.hasOwnProperty.call(message, "atMs") && (typeof message.atMs === "object" ? message.atMs.low || message.atMs.high : message.atMs !== 0))
                        writer.uint32(/* id 5, wireType 0 =*/40).uint64(message.atMs);
                    if (message.state != null && $Object.hasOwnProperty.call(message, "state"))
                        $root.portal.mdm.v1.DeviceState.encode(message.state, writer.uint32(/* id 6, wireType 2 =*/50).fork(), _depth + 1).ldelim();
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a CommandResult message from the specified reader or buffer.
                 * @function decode
                 * @memberof portal.mdm.v1.CommandResult
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.CommandResult & portal.mdm.v1.CommandResult.$Shape} CommandResult
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                CommandResult.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.portal.mdm.v1.CommandResult();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.commandId = value;
                                else
                                    delete message.commandId;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.int32())
                                    message.status = value;
                                else
                                    delete message.status;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.errorCode = value;
                                else
                                    delete message.errorCode;
                                continue;
                            }
                        case 4: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.message = value;
                                else
                                    delete message.message;
                                continue;
                            }
                        case 5: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.atMs = value;
                                else
                                    delete message.atMs;
                                continue;
                            }
                        case 6: {
                                if (wireType !== 2)
                                    break;
                                message.state = $root.portal.mdm.v1.DeviceState.decode(reader, reader.size(), $undefined, _depth + 1, message.state);
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                /**
                 * Status enum.
                 * @name portal.mdm.v1.CommandResult.Status
                 * @enum {number}
                 * @property {number} STATUS_UNSPECIFIED=0 STATUS_UNSPECIFIED value
                 * @property {number} ACCEPTED=1 ACCEPTED value
                 * @property {number} SUCCEEDED=2 SUCCEEDED value
                 * @property {number} FAILED=3 FAILED value
                 * @property {number} REJECTED=4 REJECTED value
                 */
                CommandResult.Status = (function() {
                    const valuesById = $Object.create(null), values = $Object.create(valuesById);
                    values[valuesById[0] = "STATUS_UNSPECIFIED"] = 0;
                    values[valuesById[1] = "ACCEPTED"] = 1;
                    values[valuesById[2] = "SUCCEEDED"] = 2;
                    values[valuesById[3] = "FAILED"] = 3;
                    values[valuesById[4] = "REJECTED"] = 4;
                    return values;
                })();

                return CommandResult;
            })();

            v1.DesiredConfig = (function() {

                /**
                 * Properties of a DesiredConfig.
                 * @typedef {Object} portal.mdm.v1.DesiredConfig.$Properties
                 * @property {number|null} [version] DesiredConfig version
                 * @property {string|null} [name] DesiredConfig name
                 * @property {portal.mdm.v1.TimeSettings.$Properties|null} [time] DesiredConfig time
                 * @property {portal.mdm.v1.SignedKeySet.$Properties|null} [signingKeys] DesiredConfig signingKeys
                 * @property {Array.<string>|null} [mqttUrls] DesiredConfig mqttUrls
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a DesiredConfig.
                 * @memberof portal.mdm.v1
                 * @interface IDesiredConfig
                 * @augments portal.mdm.v1.DesiredConfig.$Properties
                 * @deprecated Use portal.mdm.v1.DesiredConfig.$Properties instead.
                 */

                /**
                 * Shape of a DesiredConfig.
                 * @typedef {portal.mdm.v1.DesiredConfig.$Properties} portal.mdm.v1.DesiredConfig.$Shape
                 */

                /**
                 * Constructs a new DesiredConfig.
                 * @memberof portal.mdm.v1
                 * @classdesc Represents a DesiredConfig.
                 * @constructor
                 * @param {portal.mdm.v1.DesiredConfig.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const DesiredConfig = function (properties) {
                    this.mqttUrls = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * DesiredConfig version.
                 * @member {number} version
                 * @memberof portal.mdm.v1.DesiredConfig
                 * @instance
                 */
                DesiredConfig.prototype.version = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * DesiredConfig name.
                 * @member {string} name
                 * @memberof portal.mdm.v1.DesiredConfig
                 * @instance
                 */
                DesiredConfig.prototype.name = "";

                /**
                 * DesiredConfig time.
                 * @member {portal.mdm.v1.TimeSettings.$Properties|null|undefined} time
                 * @memberof portal.mdm.v1.DesiredConfig
                 * @instance
                 */
                DesiredConfig.prototype.time = null;

                /**
                 * DesiredConfig signingKeys.
                 * @member {portal.mdm.v1.SignedKeySet.$Properties|null|undefined} signingKeys
                 * @memberof portal.mdm.v1.DesiredConfig
                 * @instance
                 */
                DesiredConfig.prototype.signingKeys = null;

                /**
                 * DesiredConfig mqttUrls.
                 * @member {Array.<string>} mqttUrls
                 * @memberof portal.mdm.v1.DesiredConfig
                 * @instance
                 */
                DesiredConfig.prototype.mqttUrls = $util.emptyArray;

                /**
                 * Creates a new DesiredConfig instance using the specified properties.
                 * @function create
                 * @memberof portal.mdm.v1.DesiredConfig
                 * @static
                 * @param {portal.mdm.v1.DesiredConfig.$Properties=} [properties] Properties to set
                 * @returns {portal.mdm.v1.DesiredConfig} DesiredConfig instance
                 * @type {{
                 *   (properties: portal.mdm.v1.DesiredConfig.$Shape): portal.mdm.v1.DesiredConfig & portal.mdm.v1.DesiredConfig.$Shape;
                 *   (properties?: portal.mdm.v1.DesiredConfig.$Properties): portal.mdm.v1.DesiredConfig;
                 * }}
                 */
                DesiredConfig.create = function(properties) {
                    return new DesiredConfig(properties);
                };

                /**
                 * Encodes the specified DesiredConfig message. Does not implicitly {@link portal.mdm.v1.DesiredConfig.verify|verify} messages.
                 * @function encode
                 * @memberof portal.mdm.v1.DesiredConfig
                 * @static
                 * @param {portal.mdm.v1.DesiredConfig.$Properties} message DesiredConfig message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                DesiredConfig.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.version != null && $Object.hasOwnProperty.call(message, "version") && (typeof message.version === "object" ? message.version.low || message.version.high : message.version !== 0))
                        writer.uint32(/* id 1, wireType 0 =*/8).uint64(message.version);
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name") && message.name !== "")
                        writer.uint32(/* id 2, wireType 2 =*/18).string(message.name);
                    if (message.time != null && $Object.hasOwnProperty.call(message, "time"))
                        $root.portal.mdm.v1.TimeSettings.encode(message.time, writer.uint32(/* id 3, wireType 2 =*/26).fork(), _depth + 1).ldelim();
                    if (message.signingKeys != null && $Object.hasOwnProperty.call(message, "signingKeys"))
                        $root.portal.mdm.v1.SignedKeySet.encode(message.signingKeys, writer.uint32(/* id 4, wireType 2 =*/34).fork(), _depth + 1).ldelim();
                    if (message.mqttUrls != null && message.mqttUrls.length)
                        for (let i = 0; i < message.mqttUrls.length; ++i)
                            writer.uint32(/* id 5, wireType 2 =*/42).string(message.mqttUrls[i]);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a DesiredConfig message from the specified reader or buffer.
                 * @function decode
                 * @memberof portal.mdm.v1.DesiredConfig
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.DesiredConfig & portal.mdm.v1.DesiredConfig.$Shape} DesiredConfig
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                DesiredConfig.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.portal.mdm.v1.DesiredConfig();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.version = value;
                                else
                                    delete message.version;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.name = value;
                                else
                                    delete message.name;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 2)
                                    break;
                                message.time = $root.portal.mdm.v1.TimeSettings.decode(reader, reader.size(), $undefined, _depth + 1, message.time);
                                continue;
                            }
                        case 4: {
                                if (wireType !== 2)
                                    break;
                                message.signingKeys = $root.portal.mdm.v1.SignedKeySet.decode(reader, reader.size(), $undefined, _depth + 1, message.signingKeys);
                                continue;
                            }
                        case 5: {
                                if (wireType !== 2)
                                    break;
                                if (!(message.mqttUrls && message.mqttUrls.length))
                                    message.mqttUrls = [];
                                message.mqttUrls.push(reader.stringVerify());
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return DesiredConfig;
            })();

            v1.SigningKey = (function() {

                /**
                 * Properties of a SigningKey.
                 * @typedef {Object} portal.mdm.v1.SigningKey.$Properties
                 * @property {string|null} [keyId] SigningKey keyId
                 * @property {Uint8Array|null} [publicKey] SigningKey publicKey
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a SigningKey.
                 * @memberof portal.mdm.v1
                 * @interface ISigningKey
                 * @augments portal.mdm.v1.SigningKey.$Properties
                 * @deprecated Use portal.mdm.v1.SigningKey.$Properties instead.
                 */

                /**
                 * Shape of a SigningKey.
                 * @typedef {portal.mdm.v1.SigningKey.$Properties} portal.mdm.v1.SigningKey.$Shape
                 */

                /**
                 * Constructs a new SigningKey.
                 * @memberof portal.mdm.v1
                 * @classdesc Represents a SigningKey.
                 * @constructor
                 * @param {portal.mdm.v1.SigningKey.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const SigningKey = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * SigningKey keyId.
                 * @member {string} keyId
                 * @memberof portal.mdm.v1.SigningKey
                 * @instance
                 */
                SigningKey.prototype.keyId = "";

                /**
                 * SigningKey publicKey.
                 * @member {Uint8Array} publicKey
                 * @memberof portal.mdm.v1.SigningKey
                 * @instance
                 */
                SigningKey.prototype.publicKey = $util.newBuffer([]);

                /**
                 * Creates a new SigningKey instance using the specified properties.
                 * @function create
                 * @memberof portal.mdm.v1.SigningKey
                 * @static
                 * @param {portal.mdm.v1.SigningKey.$Properties=} [properties] Properties to set
                 * @returns {portal.mdm.v1.SigningKey} SigningKey instance
                 * @type {{
                 *   (properties: portal.mdm.v1.SigningKey.$Shape): portal.mdm.v1.SigningKey & portal.mdm.v1.SigningKey.$Shape;
                 *   (properties?: portal.mdm.v1.SigningKey.$Properties): portal.mdm.v1.SigningKey;
                 * }}
                 */
                SigningKey.create = function(properties) {
                    return new SigningKey(properties);
                };

                /**
                 * Encodes the specified SigningKey message. Does not implicitly {@link portal.mdm.v1.SigningKey.verify|verify} messages.
                 * @function encode
                 * @memberof portal.mdm.v1.SigningKey
                 * @static
                 * @param {portal.mdm.v1.SigningKey.$Properties} message SigningKey message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                SigningKey.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.keyId != null && $Object.hasOwnProperty.call(message, "keyId") && message.keyId !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.keyId);
                    if (message.publicKey != null && $Object.hasOwnProperty.call(message, "publicKey") && message.publicKey.length)
                        writer.uint32(/* id 2, wireType 2 =*/18).bytes(message.publicKey);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a SigningKey message from the specified reader or buffer.
                 * @function decode
                 * @memberof portal.mdm.v1.SigningKey
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.SigningKey & portal.mdm.v1.SigningKey.$Shape} SigningKey
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                SigningKey.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.portal.mdm.v1.SigningKey();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.keyId = value;
                                else
                                    delete message.keyId;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.bytes()).length)
                                    message.publicKey = value;
                                else
                                    delete message.publicKey;
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return SigningKey;
            })();

            v1.SigningKeySet = (function() {

                /**
                 * Properties of a SigningKeySet.
                 * @typedef {Object} portal.mdm.v1.SigningKeySet.$Properties
                 * @property {number|null} [version] SigningKeySet version
                 * @property {Array.<portal.mdm.v1.SigningKey.$Properties>|null} [keys] SigningKeySet keys
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a SigningKeySet.
                 * @memberof portal.mdm.v1
                 * @interface ISigningKeySet
                 * @augments portal.mdm.v1.SigningKeySet.$Properties
                 * @deprecated Use portal.mdm.v1.SigningKeySet.$Properties instead.
                 */

                /**
                 * Shape of a SigningKeySet.
                 * @typedef {portal.mdm.v1.SigningKeySet.$Properties} portal.mdm.v1.SigningKeySet.$Shape
                 */

                /**
                 * Constructs a new SigningKeySet.
                 * @memberof portal.mdm.v1
                 * @classdesc Represents a SigningKeySet.
                 * @constructor
                 * @param {portal.mdm.v1.SigningKeySet.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const SigningKeySet = function (properties) {
                    this.keys = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * SigningKeySet version.
                 * @member {number} version
                 * @memberof portal.mdm.v1.SigningKeySet
                 * @instance
                 */
                SigningKeySet.prototype.version = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * SigningKeySet keys.
                 * @member {Array.<portal.mdm.v1.SigningKey.$Properties>} keys
                 * @memberof portal.mdm.v1.SigningKeySet
                 * @instance
                 */
                SigningKeySet.prototype.keys = $util.emptyArray;

                /**
                 * Creates a new SigningKeySet instance using the specified properties.
                 * @function create
                 * @memberof portal.mdm.v1.SigningKeySet
                 * @static
                 * @param {portal.mdm.v1.SigningKeySet.$Properties=} [properties] Properties to set
                 * @returns {portal.mdm.v1.SigningKeySet} SigningKeySet instance
                 * @type {{
                 *   (properties: portal.mdm.v1.SigningKeySet.$Shape): portal.mdm.v1.SigningKeySet & portal.mdm.v1.SigningKeySet.$Shape;
                 *   (properties?: portal.mdm.v1.SigningKeySet.$Properties): portal.mdm.v1.SigningKeySet;
                 * }}
                 */
                SigningKeySet.create = function(properties) {
                    return new SigningKeySet(properties);
                };

                /**
                 * Encodes the specified SigningKeySet message. Does not implicitly {@link portal.mdm.v1.SigningKeySet.verify|verify} messages.
                 * @function encode
                 * @memberof portal.mdm.v1.SigningKeySet
                 * @static
                 * @param {portal.mdm.v1.SigningKeySet.$Properties} message SigningKeySet message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                SigningKeySet.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.version != null && $Object.hasOwnProperty.call(message, "version") && (typeof message.version === "object" ? message.version.low || message.version.high : message.version !== 0))
                        writer.uint32(/* id 1, wireType 0 =*/8).uint64(message.version);
                    if (message.keys != null && message.keys.length)
                        for (let i = 0; i < message.keys.length; ++i)
                            $root.portal.mdm.v1.SigningKey.encode(message.keys[i], writer.uint32(/* id 2, wireType 2 =*/18).fork(), _depth + 1).ldelim();
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a SigningKeySet message from the specified reader or buffer.
                 * @function decode
                 * @memberof portal.mdm.v1.SigningKeySet
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.SigningKeySet & portal.mdm.v1.SigningKeySet.$Shape} SigningKeySet
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                SigningKeySet.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.portal.mdm.v1.SigningKeySet();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.version = value;
                                else
                                    delete message.version;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if (!(message.keys && message.keys.length))
                                    message.keys = [];
                                message.keys.push($root.portal.mdm.v1.SigningKey.decode(reader, reader.size(), $undefined, _depth + 1));
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return SigningKeySet;
            })();

            v1.SignedKeySet = (function() {

                /**
                 * Properties of a SignedKeySet.
                 * @typedef {Object} portal.mdm.v1.SignedKeySet.$Properties
                 * @property {Uint8Array|null} [keySet] SignedKeySet keySet
                 * @property {Uint8Array|null} [signature] SignedKeySet signature
                 * @property {string|null} [keyId] SignedKeySet keyId
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a SignedKeySet.
                 * @memberof portal.mdm.v1
                 * @interface ISignedKeySet
                 * @augments portal.mdm.v1.SignedKeySet.$Properties
                 * @deprecated Use portal.mdm.v1.SignedKeySet.$Properties instead.
                 */

                /**
                 * Shape of a SignedKeySet.
                 * @typedef {portal.mdm.v1.SignedKeySet.$Properties} portal.mdm.v1.SignedKeySet.$Shape
                 */

                /**
                 * Constructs a new SignedKeySet.
                 * @memberof portal.mdm.v1
                 * @classdesc Represents a SignedKeySet.
                 * @constructor
                 * @param {portal.mdm.v1.SignedKeySet.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const SignedKeySet = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * SignedKeySet keySet.
                 * @member {Uint8Array} keySet
                 * @memberof portal.mdm.v1.SignedKeySet
                 * @instance
                 */
                SignedKeySet.prototype.keySet = $util.newBuffer([]);

                /**
                 * SignedKeySet signature.
                 * @member {Uint8Array} signature
                 * @memberof portal.mdm.v1.SignedKeySet
                 * @instance
                 */
                SignedKeySet.prototype.signature = $util.newBuffer([]);

                /**
                 * SignedKeySet keyId.
                 * @member {string} keyId
                 * @memberof portal.mdm.v1.SignedKeySet
                 * @instance
                 */
                SignedKeySet.prototype.keyId = "";

                /**
                 * Creates a new SignedKeySet instance using the specified properties.
                 * @function create
                 * @memberof portal.mdm.v1.SignedKeySet
                 * @static
                 * @param {portal.mdm.v1.SignedKeySet.$Properties=} [properties] Properties to set
                 * @returns {portal.mdm.v1.SignedKeySet} SignedKeySet instance
                 * @type {{
                 *   (properties: portal.mdm.v1.SignedKeySet.$Shape): portal.mdm.v1.SignedKeySet & portal.mdm.v1.SignedKeySet.$Shape;
                 *   (properties?: portal.mdm.v1.SignedKeySet.$Properties): portal.mdm.v1.SignedKeySet;
                 * }}
                 */
                SignedKeySet.create = function(properties) {
                    return new SignedKeySet(properties);
                };

                /**
                 * Encodes the specified SignedKeySet message. Does not implicitly {@link portal.mdm.v1.SignedKeySet.verify|verify} messages.
                 * @function encode
                 * @memberof portal.mdm.v1.SignedKeySet
                 * @static
                 * @param {portal.mdm.v1.SignedKeySet.$Properties} message SignedKeySet message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                SignedKeySet.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.keySet != null && $Object.hasOwnProperty.call(message, "keySet") && message.keySet.length)
                        writer.uint32(/* id 1, wireType 2 =*/10).bytes(message.keySet);
                    if (message.signature != null && $Object.hasOwnProperty.call(message, "signature") && message.signature.length)
                        writer.uint32(/* id 2, wireType 2 =*/18).bytes(message.signature);
                    if (message.keyId != null && $Object.hasOwnProperty.call(message, "keyId") && message.keyId !== "")
                        writer.uint32(/* id 3, wireType 2 =*/26).string(message.keyId);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a SignedKeySet message from the specified reader or buffer.
                 * @function decode
                 * @memberof portal.mdm.v1.SignedKeySet
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.SignedKeySet & portal.mdm.v1.SignedKeySet.$Shape} SignedKeySet
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                SignedKeySet.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.portal.mdm.v1.SignedKeySet();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.bytes()).length)
                                    message.keySet = value;
                                else
                                    delete message.keySet;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.bytes()).length)
                                    message.signature = value;
                                else
                                    delete message.signature;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.keyId = value;
                                else
                                    delete message.keyId;
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return SignedKeySet;
            })();

            v1.DeviceState = (function() {

                /**
                 * Properties of a DeviceState.
                 * @typedef {Object} portal.mdm.v1.DeviceState.$Properties
                 * @property {number|null} [atMs] DeviceState atMs
                 * @property {string|null} [name] DeviceState name
                 * @property {boolean|null} [locked] DeviceState locked
                 * @property {string|null} [timezone] DeviceState timezone
                 * @property {boolean|null} [timezoneAutomatic] DeviceState timezoneAutomatic
                 * @property {string|null} [ntpServer] DeviceState ntpServer
                 * @property {number|null} [clockOffsetMs] DeviceState clockOffsetMs
                 * @property {number|null} [lastTimeSyncAtMs] DeviceState lastTimeSyncAtMs
                 * @property {string|null} [timeSyncError] DeviceState timeSyncError
                 * @property {number|null} [bootTimeMs] DeviceState bootTimeMs
                 * @property {string|null} [agentVersion] DeviceState agentVersion
                 * @property {number|null} [appliedConfigVersion] DeviceState appliedConfigVersion
                 * @property {string|null} [model] DeviceState model
                 * @property {string|null} [serial] DeviceState serial
                 * @property {portal.mdm.v1.Telemetry.$Properties|null} [telemetry] DeviceState telemetry
                 * @property {number|null} [signingKeysVersion] DeviceState signingKeysVersion
                 * @property {string|null} [configError] DeviceState configError
                 * @property {number|null} [configErrorVersion] DeviceState configErrorVersion
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a DeviceState.
                 * @memberof portal.mdm.v1
                 * @interface IDeviceState
                 * @augments portal.mdm.v1.DeviceState.$Properties
                 * @deprecated Use portal.mdm.v1.DeviceState.$Properties instead.
                 */

                /**
                 * Shape of a DeviceState.
                 * @typedef {portal.mdm.v1.DeviceState.$Properties} portal.mdm.v1.DeviceState.$Shape
                 */

                /**
                 * Constructs a new DeviceState.
                 * @memberof portal.mdm.v1
                 * @classdesc Represents a DeviceState.
                 * @constructor
                 * @param {portal.mdm.v1.DeviceState.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const DeviceState = function (properties) {
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * DeviceState atMs.
                 * @member {number} atMs
                 * @memberof portal.mdm.v1.DeviceState
                 * @instance
                 */
                DeviceState.prototype.atMs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * DeviceState name.
                 * @member {string} name
                 * @memberof portal.mdm.v1.DeviceState
                 * @instance
                 */
                DeviceState.prototype.name = "";

                /**
                 * DeviceState locked.
                 * @member {boolean} locked
                 * @memberof portal.mdm.v1.DeviceState
                 * @instance
                 */
                DeviceState.prototype.locked = false;

                /**
                 * DeviceState timezone.
                 * @member {string} timezone
                 * @memberof portal.mdm.v1.DeviceState
                 * @instance
                 */
                DeviceState.prototype.timezone = "";

                /**
                 * DeviceState timezoneAutomatic.
                 * @member {boolean} timezoneAutomatic
                 * @memberof portal.mdm.v1.DeviceState
                 * @instance
                 */
                DeviceState.prototype.timezoneAutomatic = false;

                /**
                 * DeviceState ntpServer.
                 * @member {string} ntpServer
                 * @memberof portal.mdm.v1.DeviceState
                 * @instance
                 */
                DeviceState.prototype.ntpServer = "";

                /**
                 * DeviceState clockOffsetMs.
                 * @member {number} clockOffsetMs
                 * @memberof portal.mdm.v1.DeviceState
                 * @instance
                 */
                DeviceState.prototype.clockOffsetMs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

                /**
                 * DeviceState lastTimeSyncAtMs.
                 * @member {number} lastTimeSyncAtMs
                 * @memberof portal.mdm.v1.DeviceState
                 * @instance
                 */
                DeviceState.prototype.lastTimeSyncAtMs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * DeviceState timeSyncError.
                 * @member {string} timeSyncError
                 * @memberof portal.mdm.v1.DeviceState
                 * @instance
                 */
                DeviceState.prototype.timeSyncError = "";

                /**
                 * DeviceState bootTimeMs.
                 * @member {number} bootTimeMs
                 * @memberof portal.mdm.v1.DeviceState
                 * @instance
                 */
                DeviceState.prototype.bootTimeMs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * DeviceState agentVersion.
                 * @member {string} agentVersion
                 * @memberof portal.mdm.v1.DeviceState
                 * @instance
                 */
                DeviceState.prototype.agentVersion = "";

                /**
                 * DeviceState appliedConfigVersion.
                 * @member {number} appliedConfigVersion
                 * @memberof portal.mdm.v1.DeviceState
                 * @instance
                 */
                DeviceState.prototype.appliedConfigVersion = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * DeviceState model.
                 * @member {string} model
                 * @memberof portal.mdm.v1.DeviceState
                 * @instance
                 */
                DeviceState.prototype.model = "";

                /**
                 * DeviceState serial.
                 * @member {string} serial
                 * @memberof portal.mdm.v1.DeviceState
                 * @instance
                 */
                DeviceState.prototype.serial = "";

                /**
                 * DeviceState telemetry.
                 * @member {portal.mdm.v1.Telemetry.$Properties|null|undefined} telemetry
                 * @memberof portal.mdm.v1.DeviceState
                 * @instance
                 */
                DeviceState.prototype.telemetry = null;

                /**
                 * DeviceState signingKeysVersion.
                 * @member {number} signingKeysVersion
                 * @memberof portal.mdm.v1.DeviceState
                 * @instance
                 */
                DeviceState.prototype.signingKeysVersion = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * DeviceState configError.
                 * @member {string} configError
                 * @memberof portal.mdm.v1.DeviceState
                 * @instance
                 */
                DeviceState.prototype.configError = "";

                /**
                 * DeviceState configErrorVersion.
                 * @member {number} configErrorVersion
                 * @memberof portal.mdm.v1.DeviceState
                 * @instance
                 */
                DeviceState.prototype.configErrorVersion = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * Creates a new DeviceState instance using the specified properties.
                 * @function create
                 * @memberof portal.mdm.v1.DeviceState
                 * @static
                 * @param {portal.mdm.v1.DeviceState.$Properties=} [properties] Properties to set
                 * @returns {portal.mdm.v1.DeviceState} DeviceState instance
                 * @type {{
                 *   (properties: portal.mdm.v1.DeviceState.$Shape): portal.mdm.v1.DeviceState & portal.mdm.v1.DeviceState.$Shape;
                 *   (properties?: portal.mdm.v1.DeviceState.$Properties): portal.mdm.v1.DeviceState;
                 * }}
                 */
                DeviceState.create = function(properties) {
                    return new DeviceState(properties);
                };

                /**
                 * Encodes the specified DeviceState message. Does not implicitly {@link portal.mdm.v1.DeviceState.verify|verify} messages.
                 * @function encode
                 * @memberof portal.mdm.v1.DeviceState
                 * @static
                 * @param {portal.mdm.v1.DeviceState.$Properties} message DeviceState message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                DeviceState.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.atMs != null && $Object.hasOwnProperty.call(message, "atMs") && (typeof message.atMs === "object" ? message.atMs.low || message.atMs.high : message.atMs !== 0))
                        writer.uint32(/* id 1, wireType 0 =*/8).uint64(message.atMs);
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name") && message.name !== "")
                        writer.uint32(/* id 2, wireType 2 =*/18).string(message.name);
                    if (message.locked != null && $Object.hasOwnProperty.call(message, "locked") && message.locked !== false)
                        writer.uint32(/* id 3, wireType 0 =*/24).bool(message.locked);
                    if (message.timezone != null && $Object.hasOwnProperty.call(message, "timezone") && message.timezone !== "")
                        writer.uint32(/* id 4, wireType 2 =*/34).string(message.timezone);
                    if (message.timezoneAutomatic != null && $Object.hasOwnProperty.call(message, "timezoneAutomatic") && message.timezoneAutomatic !== false)
                        writer.uint32(/* id 5, wireType 0 =*/40).bool(message.timezoneAutomatic);
                    if (message.ntpServer != null && $Object.hasOwnProperty.call(message, "ntpServer") && message.ntpServer !== "")
                        writer.uint32(/* id 6, wireType 2 =*/50).string(message.ntpServer);
                    if (message.clockOffsetMs != null && $Object.hasOwnProperty.call(message, "clockOffsetMs") && (typeof message.clockOffsetMs === "object" ? message.clockOffsetMs.low || message.clockOffsetMs.high : message.clockOffsetMs !== 0))
                        writer.uint32(/* id 7, wireType 0 =*/56).sint64(message.clockOffsetMs);
                    if (message.lastTimeSyncAtMs != null && $Object.hasOwnProperty.call(message, "lastTimeSyncAtMs") && (typeof message.lastTimeSyncAtMs === "object" ? message.lastTimeSyncAtMs.low || message.lastTimeSyncAtMs.high : message.lastTimeSyncAtMs !== 0))
                        writer.uint32(/* id 8, wireType 0 =*/64).uint64(message.lastTimeSyncAtMs);
                    if (message.timeSyncError != null && $Object.hasOwnProperty.call(message, "timeSyncError") && message.timeSyncError !== "")
                        writer.uint32(/* id 9, wireType 2 =*/74).string(message.timeSyncError);
                    if (message.bootTimeMs != null && $Object.hasOwnProperty.call(message, "bootTimeMs") && (typeof message.bootTimeMs === "object" ? message.bootTimeMs.low || message.bootTimeMs.high : message.bootTimeMs !== 0))
                        writer.uint32(/* id 10, wireType 0 =*/80).uint64(message.bootTimeMs);
                    if (message.agentVersion != null && $Object.hasOwnProperty.call(message, "agentVersion") && message.agentVersion !== "")
                        writer.uint32(/* id 11, wireType 2 =*/90).string(message.agentVersion);
                    if (message.appliedConfigVersion != null && $Object.hasOwnProperty.call(message, "appliedConfigVersion") && (typeof message.appliedConfigVersion === "object" ? message.appliedConfigVersion.low || message.appliedConfigVersion.high : message.appliedConfigVersion !== 0))
                        writer.uint32(/* id 12, wireType 0 =*/96).uint64(message.appliedConfigVersion);
                    if (message.model != null && $Object.hasOwnProperty.call(message, "model") && message.model !== "")
                        writer.uint32(/* id 13, wireType 2 =*/106).string(message.model);
                    if (message.serial != null && $Object.hasOwnProperty.call(message, "serial") && message.serial !== "")
                        writer.uint32(/* id 14, wireType 2 =*/114).string(message.serial);
                    if (message.telemetry != null && $Object.hasOwnProperty.call(message, "telemetry"))
                        $root.portal.mdm.v1.Telemetry.encode(message.telemetry, writer.uint32(/* id 15, wireType 2 =*/122).fork(), _depth + 1).ldelim();
                    if (message.signingKeysVersion != null && $Object.hasOwnProperty.call(message, "signingKeysVersion") && (typeof message.signingKeysVersion === "object" ? message.signingKeysVersion.low || message.signingKeysVersion.high : message.signingKeysVersion !== 0))
                        writer.uint32(/* id 16, wireType 0 =*/128).uint64(message.signingKeysVersion);
                    if (message.configError != null && $Object.hasOwnProperty.call(message, "configError") && message.configError !== "")
                        writer.uint32(/* id 17, wireType 2 =*/138).string(message.configError);
                    if (message.configErrorVersion != null && $Object.hasOwnProperty.call(message, "configErrorVersion") && (typeof message.configErrorVersion === "object" ? message.configErrorVersion.low || message.configErrorVersion.high : message.configErrorVersion !== 0))
                        writer.uint32(/* id 18, wireType 0 =*/144).uint64(message.configErrorVersion);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a DeviceState message from the specified reader or buffer.
                 * @function decode
                 * @memberof portal.mdm.v1.DeviceState
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.DeviceState & portal.mdm.v1.DeviceState.$Shape} DeviceState
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                DeviceState.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.portal.mdm.v1.DeviceState();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.atMs = value;
                                else
                                    delete message.atMs;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.name = value;
                                else
                                    delete message.name;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.bool())
                                    message.locked = value;
                                else
                                    delete message.locked;
                                continue;
                            }
                        case 4: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.timezone = value;
                                else
                                    delete message.timezone;
                                continue;
                            }
                        case 5: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.bool())
                                    message.timezoneAutomatic = value;
                                else
                                    delete message.timezoneAutomatic;
                                continue;
                            }
                        case 6: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.ntpServer = value;
                                else
                                    delete message.ntpServer;
                                continue;
                            }
                        case 7: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.sint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.clockOffsetMs = value;
                                else
                                    delete message.clockOffsetMs;
                                continue;
                            }
                        case 8: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.lastTimeSyncAtMs = value;
                                else
                                    delete message.lastTimeSyncAtMs;
                                continue;
                            }
                        case 9: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.timeSyncError = value;
                                else
                                    delete message.timeSyncError;
                                continue;
                            }
                        case 10: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.bootTimeMs = value;
                                else
                                    delete message.bootTimeMs;
                                continue;
                            }
                        case 11: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.agentVersion = value;
                                else
                                    delete message.agentVersion;
                                continue;
                            }
                        case 12: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.appliedConfigVersion = value;
                                else
                                    delete message.appliedConfigVersion;
                                continue;
                            }
                        case 13: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.model = value;
                                else
                                    delete message.model;
                                continue;
                            }
                        case 14: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.serial = value;
                                else
                                    delete message.serial;
                                continue;
                            }
                        case 15: {
                                if (wireType !== 2)
                                    break;
                                message.telemetry = $root.portal.mdm.v1.Telemetry.decode(reader, reader.size(), $undefined, _depth + 1, message.telemetry);
                                continue;
                            }
                        case 16: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.signingKeysVersion = value;
                                else
                                    delete message.signingKeysVersion;
                                continue;
                            }
                        case 17: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.configError = value;
                                else
                                    delete message.configError;
                                continue;
                            }
                        case 18: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.configErrorVersion = value;
                                else
                                    delete message.configErrorVersion;
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return DeviceState;
            })();

            v1.Telemetry = (function() {

                /**
                 * Properties of a Telemetry.
                 * @typedef {Object} portal.mdm.v1.Telemetry.$Properties
                 * @property {number|null} [cpuLoadPercent] Telemetry cpuLoadPercent
                 * @property {number|null} [memoryTotalBytes] Telemetry memoryTotalBytes
                 * @property {number|null} [memoryUsedBytes] Telemetry memoryUsedBytes
                 * @property {number|null} [diskTotalBytes] Telemetry diskTotalBytes
                 * @property {number|null} [diskUsedBytes] Telemetry diskUsedBytes
                 * @property {number|null} [uptimeSeconds] Telemetry uptimeSeconds
                 * @property {string|null} [os] Telemetry os
                 * @property {string|null} [osVersion] Telemetry osVersion
                 * @property {number|null} [batteryPercent] Telemetry batteryPercent
                 * @property {Array.<portal.mdm.v1.NetworkInterface.$Properties>|null} [interfaces] Telemetry interfaces
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a Telemetry.
                 * @memberof portal.mdm.v1
                 * @interface ITelemetry
                 * @augments portal.mdm.v1.Telemetry.$Properties
                 * @deprecated Use portal.mdm.v1.Telemetry.$Properties instead.
                 */

                /**
                 * Shape of a Telemetry.
                 * @typedef {portal.mdm.v1.Telemetry.$Properties} portal.mdm.v1.Telemetry.$Shape
                 */

                /**
                 * Constructs a new Telemetry.
                 * @memberof portal.mdm.v1
                 * @classdesc Represents a Telemetry.
                 * @constructor
                 * @param {portal.mdm.v1.Telemetry.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const Telemetry = function (properties) {
                    this.interfaces = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * Telemetry cpuLoadPercent.
                 * @member {number} cpuLoadPercent
                 * @memberof portal.mdm.v1.Telemetry
                 * @instance
                 */
                Telemetry.prototype.cpuLoadPercent = 0;

                /**
                 * Telemetry memoryTotalBytes.
                 * @member {number} memoryTotalBytes
                 * @memberof portal.mdm.v1.Telemetry
                 * @instance
                 */
                Telemetry.prototype.memoryTotalBytes = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * Telemetry memoryUsedBytes.
                 * @member {number} memoryUsedBytes
                 * @memberof portal.mdm.v1.Telemetry
                 * @instance
                 */
                Telemetry.prototype.memoryUsedBytes = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * Telemetry diskTotalBytes.
                 * @member {number} diskTotalBytes
                 * @memberof portal.mdm.v1.Telemetry
                 * @instance
                 */
                Telemetry.prototype.diskTotalBytes = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * Telemetry diskUsedBytes.
                 * @member {number} diskUsedBytes
                 * @memberof portal.mdm.v1.Telemetry
                 * @instance
                 */
                Telemetry.prototype.diskUsedBytes = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * Telemetry uptimeSeconds.
                 * @member {number} uptimeSeconds
                 * @memberof portal.mdm.v1.Telemetry
                 * @instance
                 */
                Telemetry.prototype.uptimeSeconds = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

                /**
                 * Telemetry os.
                 * @member {string} os
                 * @memberof portal.mdm.v1.Telemetry
                 * @instance
                 */
                Telemetry.prototype.os = "";

                /**
                 * Telemetry osVersion.
                 * @member {string} osVersion
                 * @memberof portal.mdm.v1.Telemetry
                 * @instance
                 */
                Telemetry.prototype.osVersion = "";

                /**
                 * Telemetry batteryPercent.
                 * @member {number} batteryPercent
                 * @memberof portal.mdm.v1.Telemetry
                 * @instance
                 */
                Telemetry.prototype.batteryPercent = 0;

                /**
                 * Telemetry interfaces.
                 * @member {Array.<portal.mdm.v1.NetworkInterface.$Properties>} interfaces
                 * @memberof portal.mdm.v1.Telemetry
                 * @instance
                 */
                Telemetry.prototype.interfaces = $util.emptyArray;

                /**
                 * Creates a new Telemetry instance using the specified properties.
                 * @function create
                 * @memberof portal.mdm.v1.Telemetry
                 * @static
                 * @param {portal.mdm.v1.Telemetry.$Properties=} [properties] Properties to set
                 * @returns {portal.mdm.v1.Telemetry} Telemetry instance
                 * @type {{
                 *   (properties: portal.mdm.v1.Telemetry.$Shape): portal.mdm.v1.Telemetry & portal.mdm.v1.Telemetry.$Shape;
                 *   (properties?: portal.mdm.v1.Telemetry.$Properties): portal.mdm.v1.Telemetry;
                 * }}
                 */
                Telemetry.create = function(properties) {
                    return new Telemetry(properties);
                };

                /**
                 * Encodes the specified Telemetry message. Does not implicitly {@link portal.mdm.v1.Telemetry.verify|verify} messages.
                 * @function encode
                 * @memberof portal.mdm.v1.Telemetry
                 * @static
                 * @param {portal.mdm.v1.Telemetry.$Properties} message Telemetry message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                Telemetry.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.cpuLoadPercent != null && $Object.hasOwnProperty.call(message, "cpuLoadPercent") && !$Object.is(message.cpuLoadPercent, 0))
                        writer.uint32(/* id 1, wireType 1 =*/9).double(message.cpuLoadPercent);
                    if (message.memoryTotalBytes != null && $Object.hasOwnProperty.call(message, "memoryTotalBytes") && (typeof message.memoryTotalBytes === "object" ? message.memoryTotalBytes.low || message.memoryTotalBytes.high : message.memoryTotalBytes !== 0))
                        writer.uint32(/* id 2, wireType 0 =*/16).uint64(message.memoryTotalBytes);
                    if (message.memoryUsedBytes != null && $Object.hasOwnProperty.call(message, "memoryUsedBytes") && (typeof message.memoryUsedBytes === "object" ? message.memoryUsedBytes.low || message.memoryUsedBytes.high : message.memoryUsedBytes !== 0))
                        writer.uint32(/* id 3, wireType 0 =*/24).uint64(message.memoryUsedBytes);
                    if (message.diskTotalBytes != null && $Object.hasOwnProperty.call(message, "diskTotalBytes") && (typeof message.diskTotalBytes === "object" ? message.diskTotalBytes.low || message.diskTotalBytes.high : message.diskTotalBytes !== 0))
                        writer.uint32(/* id 4, wireType 0 =*/32).uint64(message.diskTotalBytes);
                    if (message.diskUsedBytes != null && $Object.hasOwnProperty.call(message, "diskUsedBytes") && (typeof message.diskUsedBytes === "object" ? message.diskUsedBytes.low || message.diskUsedBytes.high : message.diskUsedBytes !== 0))
                        writer.uint32(/* id 5, wireType 0 =*/40).uint64(message.diskUsedBytes);
                    if (message.uptimeSeconds != null && $Object.hasOwnProperty.call(message, "uptimeSeconds") && (typeof message.uptimeSeconds === "object" ? message.uptimeSeconds.low || message.uptimeSeconds.high : message.uptimeSeconds !== 0))
                        writer.uint32(/* id 6, wireType 0 =*/48).uint64(message.uptimeSeconds);
                    if (message.os != null && $Object.hasOwnProperty.call(message, "os") && message.os !== "")
                        writer.uint32(/* id 7, wireType 2 =*/58).string(message.os);
                    if (message.osVersion != null && $Object.hasOwnProperty.call(message, "osVersion") && message.osVersion !== "")
                        writer.uint32(/* id 8, wireType 2 =*/66).string(message.osVersion);
                    if (message.batteryPercent != null && $Object.hasOwnProperty.call(message, "batteryPercent") && message.batteryPercent !== 0)
                        writer.uint32(/* id 9, wireType 0 =*/72).sint32(message.batteryPercent);
                    if (message.interfaces != null && message.interfaces.length)
                        for (let i = 0; i < message.interfaces.length; ++i)
                            $root.portal.mdm.v1.NetworkInterface.encode(message.interfaces[i], writer.uint32(/* id 10, wireType 2 =*/82).fork(), _depth + 1).ldelim();
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a Telemetry message from the specified reader or buffer.
                 * @function decode
                 * @memberof portal.mdm.v1.Telemetry
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.Telemetry & portal.mdm.v1.Telemetry.$Shape} Telemetry
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                Telemetry.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.portal.mdm.v1.Telemetry();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 1)
                                    break;
                                if (!$Object.is(value = reader.double(), 0))
                                    message.cpuLoadPercent = value;
                                else
                                    delete message.cpuLoadPercent;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.memoryTotalBytes = value;
                                else
                                    delete message.memoryTotalBytes;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.memoryUsedBytes = value;
                                else
                                    delete message.memoryUsedBytes;
                                continue;
                            }
                        case 4: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.diskTotalBytes = value;
                                else
                                    delete message.diskTotalBytes;
                                continue;
                            }
                        case 5: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.diskUsedBytes = value;
                                else
                                    delete message.diskUsedBytes;
                                continue;
                            }
                        case 6: {
                                if (wireType !== 0)
                                    break;
                                if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                    message.uptimeSeconds = value;
                                else
                                    delete message.uptimeSeconds;
                                continue;
                            }
                        case 7: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.os = value;
                                else
                                    delete message.os;
                                continue;
                            }
                        case 8: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.osVersion = value;
                                else
                                    delete message.osVersion;
                                continue;
                            }
                        case 9: {
                                if (wireType !== 0)
                                    break;
                                if (value = reader.sint32())
                                    message.batteryPercent = value;
                                else
                                    delete message.batteryPercent;
                                continue;
                            }
                        case 10: {
                                if (wireType !== 2)
                                    break;
                                if (!(message.interfaces && message.interfaces.length))
                                    message.interfaces = [];
                                message.interfaces.push($root.portal.mdm.v1.NetworkInterface.decode(reader, reader.size(), $undefined, _depth + 1));
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return Telemetry;
            })();

            v1.NetworkInterface = (function() {

                /**
                 * Properties of a NetworkInterface.
                 * @typedef {Object} portal.mdm.v1.NetworkInterface.$Properties
                 * @property {string|null} [name] NetworkInterface name
                 * @property {string|null} [mac] NetworkInterface mac
                 * @property {Array.<string>|null} [addresses] NetworkInterface addresses
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */

                /**
                 * Properties of a NetworkInterface.
                 * @memberof portal.mdm.v1
                 * @interface INetworkInterface
                 * @augments portal.mdm.v1.NetworkInterface.$Properties
                 * @deprecated Use portal.mdm.v1.NetworkInterface.$Properties instead.
                 */

                /**
                 * Shape of a NetworkInterface.
                 * @typedef {portal.mdm.v1.NetworkInterface.$Properties} portal.mdm.v1.NetworkInterface.$Shape
                 */

                /**
                 * Constructs a new NetworkInterface.
                 * @memberof portal.mdm.v1
                 * @classdesc Represents a NetworkInterface.
                 * @constructor
                 * @param {portal.mdm.v1.NetworkInterface.$Properties=} [properties] Properties to set
                 * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
                 */
                const NetworkInterface = function (properties) {
                    this.addresses = [];
                    if (properties)
                        for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                            if (properties[keys[i]] != null && keys[i] !== "__proto__")
                                this[keys[i]] = properties[keys[i]];
                };

                /**
                 * NetworkInterface name.
                 * @member {string} name
                 * @memberof portal.mdm.v1.NetworkInterface
                 * @instance
                 */
                NetworkInterface.prototype.name = "";

                /**
                 * NetworkInterface mac.
                 * @member {string} mac
                 * @memberof portal.mdm.v1.NetworkInterface
                 * @instance
                 */
                NetworkInterface.prototype.mac = "";

                /**
                 * NetworkInterface addresses.
                 * @member {Array.<string>} addresses
                 * @memberof portal.mdm.v1.NetworkInterface
                 * @instance
                 */
                NetworkInterface.prototype.addresses = $util.emptyArray;

                /**
                 * Creates a new NetworkInterface instance using the specified properties.
                 * @function create
                 * @memberof portal.mdm.v1.NetworkInterface
                 * @static
                 * @param {portal.mdm.v1.NetworkInterface.$Properties=} [properties] Properties to set
                 * @returns {portal.mdm.v1.NetworkInterface} NetworkInterface instance
                 * @type {{
                 *   (properties: portal.mdm.v1.NetworkInterface.$Shape): portal.mdm.v1.NetworkInterface & portal.mdm.v1.NetworkInterface.$Shape;
                 *   (properties?: portal.mdm.v1.NetworkInterface.$Properties): portal.mdm.v1.NetworkInterface;
                 * }}
                 */
                NetworkInterface.create = function(properties) {
                    return new NetworkInterface(properties);
                };

                /**
                 * Encodes the specified NetworkInterface message. Does not implicitly {@link portal.mdm.v1.NetworkInterface.verify|verify} messages.
                 * @function encode
                 * @memberof portal.mdm.v1.NetworkInterface
                 * @static
                 * @param {portal.mdm.v1.NetworkInterface.$Properties} message NetworkInterface message or plain object to encode
                 * @param {$protobuf.Writer} [writer] Writer to encode to
                 * @returns {$protobuf.Writer} Writer
                 */
                NetworkInterface.encode = function (message, writer, _depth) {
                    if (!writer)
                        writer = $Writer.create();
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $util.recursionLimit)
                        throw $Error("max depth exceeded");
                    if (message.name != null && $Object.hasOwnProperty.call(message, "name") && message.name !== "")
                        writer.uint32(/* id 1, wireType 2 =*/10).string(message.name);
                    if (message.mac != null && $Object.hasOwnProperty.call(message, "mac") && message.mac !== "")
                        writer.uint32(/* id 2, wireType 2 =*/18).string(message.mac);
                    if (message.addresses != null && message.addresses.length)
                        for (let i = 0; i < message.addresses.length; ++i)
                            writer.uint32(/* id 3, wireType 2 =*/26).string(message.addresses[i]);
                    if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                        for (let i = 0; i < message.$unknowns.length; ++i)
                            writer.raw(message.$unknowns[i]);
                    return writer;
                };

                /**
                 * Decodes a NetworkInterface message from the specified reader or buffer.
                 * @function decode
                 * @memberof portal.mdm.v1.NetworkInterface
                 * @static
                 * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
                 * @param {number} [length] Message length if known beforehand
                 * @returns {portal.mdm.v1.NetworkInterface & portal.mdm.v1.NetworkInterface.$Shape} NetworkInterface
                 * @throws {Error} If the payload is not a reader or valid buffer
                 * @throws {$protobuf.util.ProtocolError} If required fields are missing
                 */
                NetworkInterface.decode = function (reader, length, _end, _depth, _target) {
                    if (!(reader instanceof $Reader))
                        reader = $Reader.create(reader);
                    if (_depth === $undefined)
                        _depth = 0;
                    if (_depth > $Reader.recursionLimit)
                        throw $Error("max depth exceeded");
                    let end, message, value;
                    if (length === $undefined)
                        end = reader.len;
                    else {
                        end = reader.pos + length;
                        if (end > reader.len)
                            throw $RangeError("index out of range");
                        length = reader.len;
                        reader.len = end;
                    }
                    message = _target || new $root.portal.mdm.v1.NetworkInterface();
                    while (reader.pos < end) {
                        let start = reader.pos;
                        let tag = reader.tag();
                        if (tag === _end) {
                            _end = $undefined;
                            break;
                        }
                        let wireType = tag & 7;
                        switch (tag >>>= 3) {
                        case 1: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.name = value;
                                else
                                    delete message.name;
                                continue;
                            }
                        case 2: {
                                if (wireType !== 2)
                                    break;
                                if ((value = reader.stringVerify()).length)
                                    message.mac = value;
                                else
                                    delete message.mac;
                                continue;
                            }
                        case 3: {
                                if (wireType !== 2)
                                    break;
                                if (!(message.addresses && message.addresses.length))
                                    message.addresses = [];
                                message.addresses.push(reader.stringVerify());
                                continue;
                            }
                        }
                        reader.skipType(wireType, _depth, tag);
                        if (!reader.discardUnknown) {
                            $util.makeProp(message, "$unknowns", false);
                            (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                        }
                    }
                    if (length !== $undefined) {
                        if (reader.pos !== end)
                            throw $RangeError("index out of range");
                        reader.len = length;
                    }
                    if (_end !== $undefined)
                        throw $Error("missing end group");
                    return message;
                };

                return NetworkInterface;
            })();

            return v1;
        })();

        return mdm;
    })();

    return portal;
})();

export {
  $root as default
};
