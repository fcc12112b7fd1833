#!/usr/bin/env python3
"""Independent reference implementation of the fedattr wire protocol, version 1.

Written from docs/PROTOCOL.md alone (Python 3 standard library only). It encodes and decodes all four
message types, applies the decoder checks of PROTOCOL.md section 5, and builds the signing inputs of section 6.

Messages are represented as JSON-compatible dicts:

  common    type ("probe" | "register" | "task" | "update"), round (int), nonce (hex, 32 bytes)
  probe     spec (str)
  register  client_id (str), certificate_der (hex), signature (hex)
  task      encoding ("float32" | "float16"), deadline_millis (int), spec (str),
            hyperparameters {epochs, batch_size, learning_rate, momentum, weight_decay, seed}, parameters [float]
  update    encoding, client_id, certificate_der (hex), sample_count (int), train_loss (float),
            base_model_digest (hex), update [float], signature (hex)

Command line:
  wire_reference.py decode FILE...       print a JSON list, one dict per file; decoded messages gain
                                         signing_bytes (register, update: with update_digest), update_digest
                                         and tensor_bytes (hex), failures are {"error": "..."}
  wire_reference.py encode IN.json OUTDIR   IN.json holds a list of dicts; writes OUTDIR/<index>.bin
  wire_reference.py selftest             check the worked examples of PROTOCOL.md section 10
"""

import hashlib
import json
import math
import os
import struct
import sys
import zlib

MAGIC = b"FDAT"
VERSION = 1
HEADER_SIZE = 28
TYPES = {1: "probe", 2: "register", 3: "task", 4: "update", 5: "finish"}
TYPE_CODES = {name: code for code, name in TYPES.items()}
ENCODINGS = {1: "float32", 2: "float16"}
ENCODING_CODES = {name: code for code, name in ENCODINGS.items()}
WIDTH = {"float32": 4, "float16": 2}
FLAG_FLOAT16 = 1

MAX_CLIENT_ID = 128
MAX_SPEC = 1 << 20
MAX_CERTIFICATE = 1 << 16
MAX_SIGNATURE = 1 << 10
DEFAULT_MAX_PARAMETERS = 50_000_000

REGISTER_LABEL = b"fedattr/register/v1\x00"
UPDATE_LABEL = b"fedattr/update/v1\x00"


class WireError(ValueError):
    pass


# ---------------------------------------------------------------- encoding

def _u32(v):
    return struct.pack("<I", v)


def _u64(v):
    return struct.pack("<Q", v)


def _f32(v):
    return struct.pack("<f", v)


def _bytes(b):
    return _u32(len(b)) + b


def _string(s):
    return _bytes(s.encode("utf-8"))


def _bytes32(b, name):
    if len(b) != 32:
        raise WireError(f"{name} must be 32 bytes, got {len(b)}")
    return b


def _half(v):
    """binary16 bits of v, round to nearest even; overflow becomes +-infinity."""
    try:
        return struct.pack("<e", v)
    except OverflowError:
        return struct.pack("<H", 0xFC00 if v < 0 else 0x7C00)


def tensor_field(values, encoding):
    out = bytearray()
    out += struct.pack("<B", ENCODING_CODES[encoding])
    out += _u64(len(values))
    if encoding == "float32":
        out += struct.pack("<%df" % len(values), *values)
    else:
        for v in values:
            out += _half(v)
    return bytes(out)


def tensor_bytes(values):
    """Little-endian binary32 of the values: what digests are taken over."""
    return struct.pack("<%df" % len(values), *values)


def encode(msg):
    kind = msg["type"]
    nonce = _bytes32(bytes.fromhex(msg["nonce"]), "nonce")
    flags = 0
    if kind == "probe":
        body = nonce + _string(msg["spec"])
    elif kind == "register":
        body = (nonce + _string(msg["client_id"]) + _bytes(bytes.fromhex(msg["certificate_der"]))
                + _bytes(bytes.fromhex(msg["signature"])))
    elif kind == "task":
        h = msg["hyperparameters"]
        encoding = msg.get("encoding", "float32")
        flags = FLAG_FLOAT16 if encoding == "float16" else 0
        body = (nonce + _u32(msg["deadline_millis"]) + _u32(h["epochs"]) + _u32(h["batch_size"])
                + _f32(h["learning_rate"]) + _f32(h["momentum"]) + _f32(h["weight_decay"]) + _u64(h["seed"])
                + _string(msg["spec"]) + tensor_field(msg["parameters"], encoding))
    elif kind == "update":
        encoding = msg.get("encoding", "float32")
        flags = FLAG_FLOAT16 if encoding == "float16" else 0
        body = (nonce + _string(msg["client_id"]) + _bytes(bytes.fromhex(msg["certificate_der"]))
                + _u32(msg["sample_count"]) + _f32(msg["train_loss"])
                + _bytes32(bytes.fromhex(msg["base_model_digest"]), "base_model_digest")
                + tensor_field(msg["update"], encoding) + _bytes(bytes.fromhex(msg["signature"])))
    elif kind == "finish":
        body = nonce + _string(msg["reason"])
    else:
        raise WireError(f"unknown type {kind!r}")
    head = MAGIC + struct.pack("<HHHHQI", VERSION, TYPE_CODES[kind], flags, 0, msg["round"], len(body))
    return head + _u32(zlib.crc32(head + body)) + body


# ---------------------------------------------------------------- decoding

class _Reader:
    def __init__(self, data, start, end):
        self.data, self.pos, self.end = data, start, end

    def remaining(self):
        return self.end - self.pos

    def take(self, n, field):
        if n > self.remaining():
            raise WireError(f"field {field} needs {n} bytes but only {self.remaining()} remain")
        start = self.pos
        self.pos += n
        return self.data[start:self.pos]

    def u8(self, field):
        return self.take(1, field)[0]

    def u32(self, field):
        return struct.unpack("<I", self.take(4, field))[0]

    def u64(self, field):
        return struct.unpack("<Q", self.take(8, field))[0]

    def f32(self, field):
        v = struct.unpack("<f", self.take(4, field))[0]
        if not math.isfinite(v):
            raise WireError(f"field {field} is not finite")
        return v

    def bytes_field(self, field, limit):
        n = self.u32(field + ".length")
        raw = self.take(n, field)
        if n > limit:
            raise WireError(f"field {field} is {n} bytes, limit {limit}")
        return raw

    def string(self, field, limit):
        raw = self.bytes_field(field, limit)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise WireError(f"field {field} is not valid UTF-8") from None

    def client_id(self):
        n = self.u32("clientID.length")
        raw = self.take(n, "clientID")
        if not 1 <= n <= MAX_CLIENT_ID:
            raise WireError(f"client id is {n} bytes, must be 1...{MAX_CLIENT_ID}")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise WireError("field clientID is not valid UTF-8") from None

    def tensor(self, field, flag_encoding, max_parameters, expected_parameters):
        code = self.u8(field + ".encoding")
        if code not in ENCODINGS:
            raise WireError(f"unknown tensor encoding {code}")
        encoding = ENCODINGS[code]
        if encoding != flag_encoding:
            raise WireError(f"envelope flags say {flag_encoding} but the tensor field says {encoding}")
        count = self.u64(field + ".count")
        if count > max_parameters:
            raise WireError(f"tensor has {count} values, limit {max_parameters}")
        if expected_parameters is not None and count != expected_parameters:
            raise WireError(f"tensor has {count} values, expected {expected_parameters}")
        raw = self.take(count * WIDTH[encoding], field + ".data")
        values = list(struct.unpack("<%d%s" % (count, "f" if encoding == "float32" else "e"), raw))
        for i, v in enumerate(values):
            if not math.isfinite(v):
                raise WireError(f"tensor value at index {i} is not finite")
        return values


def decode(data, max_parameters=DEFAULT_MAX_PARAMETERS, expected_parameters=None):
    data = bytes(data)
    if len(data) < HEADER_SIZE:
        raise WireError(f"truncated message: expected {HEADER_SIZE} bytes, got {len(data)}")
    if data[0:4] != MAGIC:
        raise WireError(f"bad magic {data[0:4].hex()}")
    version, code, flags, reserved, rnd, body_length, checksum = struct.unpack("<HHHHQII", data[4:28])
    if version != VERSION:
        raise WireError(f"unsupported protocol version {version}")
    if code not in TYPES:
        raise WireError(f"unknown message type {code}")
    kind = TYPES[code]
    if flags & ~FLAG_FLOAT16:
        raise WireError(f"unknown flag bits in {flags:#06x}")
    if flags and kind not in ("task", "update"):
        raise WireError(f"flags {flags:#06x} set on a {kind} message")
    if reserved != 0:
        raise WireError(f"reserved header field is {reserved:#06x}")
    total = HEADER_SIZE + body_length
    if len(data) < total:
        raise WireError(f"truncated message: expected {total} bytes, got {len(data)}")
    if len(data) > total:
        raise WireError(f"message is {len(data)} bytes but its header declares {total}")
    computed = zlib.crc32(data[0:24] + data[HEADER_SIZE:])
    if computed != checksum:
        raise WireError(f"CRC-32 mismatch: header says {checksum:#010x}, computed {computed:#010x}")

    encoding = "float16" if flags & FLAG_FLOAT16 else "float32"
    r = _Reader(data, HEADER_SIZE, total)
    msg = {"type": kind, "round": rnd, "nonce": r.take(32, "nonce").hex()}
    if kind == "probe":
        msg["spec"] = r.string("spec", MAX_SPEC)
    elif kind == "register":
        msg["client_id"] = r.client_id()
        msg["certificate_der"] = r.bytes_field("certificateDER", MAX_CERTIFICATE).hex()
        msg["signature"] = r.bytes_field("signature", MAX_SIGNATURE).hex()
    elif kind == "task":
        msg["encoding"] = encoding
        msg["deadline_millis"] = r.u32("deadlineMillis")
        msg["hyperparameters"] = {
            "epochs": r.u32("epochs"),
            "batch_size": r.u32("batchSize"),
            "learning_rate": r.f32("learningRate"),
            "momentum": r.f32("momentum"),
            "weight_decay": r.f32("weightDecay"),
            "seed": r.u64("seed"),
        }
        msg["spec"] = r.string("spec", MAX_SPEC)
        msg["parameters"] = r.tensor("parameters", encoding, max_parameters, expected_parameters)
    elif kind == "finish":
        msg["reason"] = r.string("reason", MAX_SPEC)
    else:
        msg["encoding"] = encoding
        msg["client_id"] = r.client_id()
        msg["certificate_der"] = r.bytes_field("certificateDER", MAX_CERTIFICATE).hex()
        msg["sample_count"] = r.u32("sampleCount")
        msg["train_loss"] = r.f32("trainLoss")
        msg["base_model_digest"] = r.take(32, "baseModelDigest").hex()
        msg["update"] = r.tensor("update", encoding, max_parameters, expected_parameters)
        msg["signature"] = r.bytes_field("signature", MAX_SIGNATURE).hex()
    if r.remaining():
        raise WireError(f"{r.remaining()} unexpected bytes after the last field of the body")
    return msg


# ---------------------------------------------------------------- signing inputs and digests

def register_signing_bytes(nonce, client_id):
    return REGISTER_LABEL + nonce + _string(client_id)


def update_signing_bytes(nonce, rnd, client_id, sample_count, base_model_digest, update_digest):
    return (UPDATE_LABEL + nonce + _u64(rnd) + _string(client_id) + _u32(sample_count)
            + base_model_digest + update_digest)


def annotate(msg):
    """Adds tensor_bytes, update_digest and signing_bytes (hex) to a decoded message."""
    nonce = bytes.fromhex(msg["nonce"])
    if msg["type"] == "register":
        msg["signing_bytes"] = register_signing_bytes(nonce, msg["client_id"]).hex()
    elif msg["type"] == "task":
        msg["tensor_bytes"] = tensor_bytes(msg["parameters"]).hex()
    elif msg["type"] == "update":
        tb = tensor_bytes(msg["update"])
        digest = hashlib.sha256(tb).digest()
        msg["tensor_bytes"] = tb.hex()
        msg["update_digest"] = digest.hex()
        msg["signing_bytes"] = update_signing_bytes(
            nonce, msg["round"], msg["client_id"], msg["sample_count"],
            bytes.fromhex(msg["base_model_digest"]), digest).hex()
    return msg


# ---------------------------------------------------------------- self-test (PROTOCOL.md section 10)

EXAMPLE_PROBE = ("4644415401000100000000000700000000000000" "26000000" "cc121140"
                 + bytes(range(32)).hex() + "020000007b7d")
EXAMPLE_UPDATE = ("46444154010004000100000003000000000000006f000000626337d6" + "11" * 32
                  + "08000000636c69656e742d3002000000c0de580200000000803e" + "ab" * 32
                  + "020300000000000000003c00c00038020000003000")


def selftest():
    probe = {"type": "probe", "round": 7, "nonce": bytes(range(32)).hex(), "spec": "{}"}
    update = {"type": "update", "round": 3, "nonce": "11" * 32, "encoding": "float16", "client_id": "client-0",
              "certificate_der": "c0de", "sample_count": 600, "train_loss": 0.25, "base_model_digest": "ab" * 32,
              "update": [1.0, -2.0, 0.5], "signature": "3000"}
    assert encode(probe).hex() == EXAMPLE_PROBE, encode(probe).hex()
    assert encode(update).hex() == EXAMPLE_UPDATE, encode(update).hex()
    assert decode(bytes.fromhex(EXAMPLE_PROBE)) == probe
    assert decode(bytes.fromhex(EXAMPLE_UPDATE)) == update
    assert zlib.crc32(b"123456789") == 0xCBF43926
    assert len(register_signing_bytes(b"\x11" * 32, "client-0")) == 64
    assert len(update_signing_bytes(b"\x11" * 32, 3, "client-0", 600, b"\xab" * 32, b"\xcd" * 32)) == 138
    bad = bytearray(bytes.fromhex(EXAMPLE_UPDATE))
    bad[100] ^= 1
    try:
        decode(bytes(bad))
        raise AssertionError("corrupted message decoded")
    except WireError:
        pass
    print("selftest ok")


def main(argv):
    if len(argv) >= 2 and argv[0] == "decode":
        out = []
        for path in argv[1:]:
            with open(path, "rb") as f:
                data = f.read()
            try:
                out.append(annotate(decode(data)))
            except WireError as e:
                out.append({"error": str(e)})
        json.dump(out, sys.stdout)
        sys.stdout.write("\n")
        return 0
    if len(argv) == 3 and argv[0] == "encode":
        with open(argv[1]) as f:
            # Some JSON writers spell negative zero "-0"; keep its sign.
            messages = json.load(f, parse_int=lambda s: -0.0 if s == "-0" else int(s))
        os.makedirs(argv[2], exist_ok=True)
        for i, msg in enumerate(messages):
            with open(os.path.join(argv[2], f"{i}.bin"), "wb") as f:
                f.write(encode(msg))
        return 0
    if argv == ["selftest"]:
        selftest()
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
