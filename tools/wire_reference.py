#!/usr/bin/env python3
"""Independent reference implementation of the fedattr wire protocol, version 1, and a minimal client.

Written from docs/PROTOCOL.md alone. The codec (Python 3 standard library only) encodes and decodes all five
message types, applies the decoder checks of PROTOCOL.md section 5, and builds the signing inputs of section 6.
The client (`client` command; needs numpy, pynng and cryptography from tools/requirements.txt) dials a
coordinator over mutual TLS, registers, and trains on its own shard (PROTOCOL.md section 12) every round.

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
  wire_reference.py client --id client-N --coordinator tls+tcp://HOST:PORT --pki-dir DIR
                    [--data-dir DIR] [--server-name NAME]
                                         run one federation client until the coordinator's finish message
  wire_reference.py shard SPEC.json INDEX [--data-dir DIR]
                                         print {"size", "indices_sha256"} of client INDEX's shard (section 12.2)
  wire_reference.py train MODEL PARAMS.f32 IMAGES.f32 LABELS.u8 OUT.f32 --epochs E --batch-size B
                    --learning-rate L --momentum M --weight-decay D --seed S
                                         local SGD of section 12.4 for logreg, mlp, mlp:H1,... or cnn (section 12.3)
                                         on little-endian float32 images (N x 784) and uint8 labels; writes the
                                         trained parameters to OUT.f32 and prints {"loss", "parameters"}
"""

import hashlib
import json
import math
import os
import struct
import sys
import time
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


# ---------------------------------------------------------------- the federation spec's data and model (section 12)

MASK64 = (1 << 64) - 1


class SeededGenerator:
    """xoshiro256** seeded through SplitMix64, with the samplers of PROTOCOL.md section 12.1."""

    def __init__(self, seed):
        x = seed & MASK64
        state = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & MASK64
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
            state.append(z ^ (z >> 31))
        self.s = state

    def next(self):
        s0, s1, s2, s3 = self.s
        result = (_rotl((s1 * 5) & MASK64, 7) * 9) & MASK64
        t = (s1 << 17) & MASK64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result

    def uniform(self):
        return (self.next() >> 11) * 2.0 ** -53

    def index_below(self, n):
        return (self.next() * n) >> 64

    def normal(self):
        u1 = 1 - self.uniform()
        u2 = self.uniform()
        return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)

    def gamma(self, shape):
        if shape < 1:
            u = 1 - self.uniform()
            return self.gamma(shape + 1) * u ** (1 / shape)
        d = shape - 1.0 / 3.0
        c = 1 / math.sqrt(9 * d)
        while True:
            while True:
                x = self.normal()
                v = 1 + c * x
                if v > 0:
                    break
            v = v * v * v
            u = 1 - self.uniform()
            if u < 1 - 0.0331 * x * x * x * x:
                return d * v
            if math.log(u) < 0.5 * x * x + d * (1 - v + math.log(v)):
                return d * v

    def shuffle(self, items):
        for i in range(len(items) - 1, 0, -1):
            j = self.index_below(i + 1)
            items[i], items[j] = items[j], items[i]


def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK64


def _round_half_away(x):
    f = math.floor(x)
    return f + 1 if x - f >= 0.5 else f


def partition(labels, class_count, clients, scheme, seed):
    """One sorted index list per client (PROTOCOL.md section 12.2)."""
    rng = SeededGenerator(seed)
    n = len(labels)
    if scheme == "iid":
        order = list(range(n))
        rng.shuffle(order)
        parts = [order[c * n // clients:(c + 1) * n // clients] for c in range(clients)]
    elif scheme.startswith("dirichlet:"):
        alpha = float(scheme.split(":", 1)[1])
        by_class = [[] for _ in range(class_count)]
        for index, label in enumerate(labels):
            by_class[label].append(index)
        for _ in range(100):
            parts = [[] for _ in range(clients)]
            for original in by_class:
                if not original:
                    continue
                members = list(original)
                rng.shuffle(members)
                draws = [rng.gamma(alpha) for _ in range(clients)]
                total = 0.0
                for d in draws:
                    total += d
                cumulative, start = 0.0, 0
                for c in range(clients):
                    cumulative += draws[c]
                    if c == clients - 1:
                        end = len(members)
                    else:
                        end = min(len(members), _round_half_away(cumulative / total * len(members)))
                    if end > start:
                        parts[c].extend(members[start:end])
                    start = max(start, end)
            if n < clients or all(parts):
                break
    elif scheme.startswith("shards:"):
        k = int(scheme.split(":", 1)[1])
        ordered = sorted(range(n), key=lambda i: (labels[i], i))
        count = clients * k
        shard_order = list(range(count))
        rng.shuffle(shard_order)
        parts = []
        for c in range(clients):
            part = []
            for s in shard_order[c * k:(c + 1) * k]:
                part.extend(ordered[s * n // count:(s + 1) * n // count])
            parts.append(part)
    else:
        raise ValueError(f"unknown partition scheme {scheme!r}")
    return [sorted(p) for p in parts]


def _read_idx(path, limit):
    import gzip
    with gzip.open(path, "rb") as f:
        magic, count = struct.unpack(">II", f.read(8))
        dims = [struct.unpack(">I", f.read(4))[0] for _ in range((magic & 0xFF) - 1)]
        if limit is not None:
            count = min(count, limit)
        size = 1
        for d in dims:
            size *= d
        return f.read(count * size), count, size


def synthetic_dataset(count, seed):
    """The synthetic glyph images of PROTOCOL.md section 12.1 (features as a list of 784-float rows, labels)."""
    rng = SeededGenerator(seed)
    labels = [i % 10 for i in range(count)]
    rng.shuffle(labels)
    rows = []
    for k in labels:
        shift_x, shift_y = float(rng.index_below(5) - 2), float(rng.index_below(5) - 2)
        brightness = 0.7 + 0.3 * rng.uniform()
        a1, a2 = 2 * math.pi * k / 10, 2 * math.pi * ((3 * k) % 10) / 10
        centres = [(13.5 + 8 * math.cos(a1) + shift_x, 13.5 + 8 * math.cos(a1 - math.pi / 2) + shift_y, 1.0, 3.0),
                   (13.5 + 4 * math.cos(a2) + shift_x, 13.5 + 4 * math.cos(a2 - math.pi / 2) + shift_y, 0.6, 2.0)]
        row = []
        for y in range(28):
            for x in range(28):
                value = 0.25 * rng.uniform()
                for cx, cy, weight, radius in centres:
                    d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy)
                    value += brightness * weight * math.exp(-d2 / (2 * radius * radius))
                row.append(min(1.0, value))
        rows.append(row)
    return rows, labels


def training_pool(spec, data_dir):
    """(features, labels) of the training pool the spec partitions: features are rows of 784 floats in [0, 1]."""
    validation = spec["validation_size"]
    public = 0
    if spec["dataset"] == "synthetic":
        rows, labels = synthetic_dataset(spec["synthetic_count"] + validation, spec["partition_seed"])
        features = rows
    elif spec["dataset"] == "fashion-mnist":
        public = spec.get("public_size", 0)     # the last public_size loaded images are public data no client holds
        limit = spec["train_limit"] + validation + public if spec["train_limit"] > 0 else None
        pixels, count, size = _read_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz"), limit)
        raw_labels, label_count, _ = _read_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"), limit)
        if label_count != count:
            raise ValueError(f"{count} images but {label_count} labels")
        features = (pixels, size)
        labels = list(raw_labels)
    else:
        raise ValueError(f"unknown dataset {spec['dataset']!r}")
    if len(labels) - public <= validation + spec["clients"]:
        raise ValueError("training pool too small for the validation set, the public slice and the clients")
    return features, labels[:len(labels) - public - validation]


def shard_indices(spec, index, labels):
    return partition(labels, 10, spec["clients"], spec["partition"], spec["partition_seed"])[index]


def indices_digest(indices):
    return hashlib.sha256(b"".join(struct.pack("<I", i) for i in indices)).hexdigest()


def model_layers(model):
    """The layers of "logreg", "mlp", "mlp:H1,H2,..." or "cnn" from input to output (PROTOCOL.md section 12.3):
    ("dense", inputs, outputs), ("conv", in_channels, out_channels) with 5x5 kernels, ("relu",) and ("pool",)."""
    if model == "cnn":
        return [("conv", 1, 8), ("relu",), ("pool",), ("conv", 8, 16), ("relu",), ("pool",), ("dense", 256, 10)]
    if model == "logreg":
        hidden = []
    elif model == "mlp":
        hidden = [128]
    elif model.startswith("mlp:"):
        hidden = [int(h) for h in model[4:].split(",")]
    else:
        raise ValueError(f"unknown model {model!r}: logreg, mlp, mlp:H1,H2,... or cnn")
    widths = [784] + hidden + [10]
    layers = []
    for i, o in zip(widths[:-1], widths[1:]):
        layers += [("dense", i, o), ("relu",)]
    return layers[:-1]


def _weight_rows(layer):
    return layer[1] * (25 if layer[0] == "conv" else 1)


def parameter_count(model):
    return sum(_weight_rows(l) * l[2] + l[2] for l in model_layers(model) if l[0] in ("dense", "conv"))


# ---------------------------------------------------------------- the client (needs numpy, pynng, cryptography)

def _patches(np, a):
    """(B, H, W, C) -> (B, H-4, W-4, 25*C): the 5x5 window at each output position, index (ky*5 + kx)*C + c."""
    windows = np.lib.stride_tricks.sliding_window_view(a, (5, 5), axis=(1, 2))  # (B, OH, OW, C, 5, 5)
    b, oh, ow, c = windows.shape[:4]
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(b, oh, ow, 25 * c)


def _forward(np, layers, views, x):
    """The logits of a batch x (B x 784) and what backward needs of each layer."""
    a, caches = x, []
    for layer, view in zip(layers, views):
        kind = layer[0]
        if kind == "dense":
            flat = a.reshape(len(a), -1)
            caches.append((a.shape, flat))
            a = flat @ view[0] + view[1]
        elif kind == "conv":
            if a.ndim == 2:
                a = a.reshape(len(a), 28, 28, 1)
            cols = _patches(np, a)
            caches.append((a.shape, cols))
            a = cols @ view[0] + view[1]
        elif kind == "relu":
            a = np.maximum(a, 0)
            caches.append(a > 0)
        else:  # pool: 2x2 blocks, the first maximum in row-major order
            b, h, w, c = a.shape
            blocks = a.reshape(b, h // 2, 2, w // 2, 2, c).transpose(0, 1, 3, 2, 4, 5).reshape(b, h // 2, w // 2, 4, c)
            first = blocks.argmax(axis=3)[:, :, :, None, :]
            caches.append((a.shape, first))
            a = np.take_along_axis(blocks, first, axis=3)[:, :, :, 0, :]
    return a, caches


def _backward(np, layers, views, caches, dz):
    """Gradients (weights, bias) of each parametrised layer, input to output, from dL/dlogits."""
    grads = []
    for n in range(len(layers) - 1, -1, -1):
        kind, cache = layers[n][0], caches[n]
        if kind == "dense":
            shape, flat = cache
            grads.append((flat.T @ dz, dz.sum(axis=0)))
            if n > 0:
                dz = (dz @ views[n][0].T).reshape(shape)
        elif kind == "conv":
            shape, cols = cache
            out = dz.shape[-1]
            grads.append((cols.reshape(-1, cols.shape[-1]).T @ dz.reshape(-1, out), dz.sum(axis=(0, 1, 2))))
            if n > 0:
                b, oh, ow = dz.shape[:3]
                dcols = (dz.reshape(-1, out) @ views[n][0].T).reshape(b, oh, ow, 5, 5, shape[3])
                dx = np.zeros(shape, dtype=np.float32)
                for ky in range(5):
                    for kx in range(5):
                        dx[:, ky:ky + oh, kx:kx + ow, :] += dcols[:, :, :, ky, kx, :]
                dz = dx
        elif kind == "relu":
            dz = dz * cache
        else:
            shape, first = cache
            b, h, w, c = shape
            blocks = np.zeros((b, h // 2, w // 2, 4, c), dtype=np.float32)
            np.put_along_axis(blocks, first, dz[:, :, :, None, :], axis=3)
            dz = blocks.reshape(b, h // 2, w // 2, 2, 2, c).transpose(0, 1, 3, 2, 4, 5).reshape(b, h, w, c)
    return list(reversed(grads))


def train(np, parameters, model, x, y, epochs, batch_size, lr, momentum, weight_decay, seed):
    """Local SGD of PROTOCOL.md section 12.4; returns (trained parameters, mean training loss)."""
    layers = model_layers(model)
    p = np.array(parameters, dtype=np.float32)
    if len(p) != parameter_count(model):
        raise ValueError(f"{len(p)} parameters, but {model} has {parameter_count(model)}")
    views, offset = [], 0
    for layer in layers:
        if layer[0] in ("dense", "conv"):
            rows, cols = _weight_rows(layer), layer[2]
            views.append((p[offset:offset + rows * cols].reshape(rows, cols), p[offset + rows * cols:offset + rows * cols + cols]))
            offset += rows * cols + cols
        else:
            views.append(None)
    velocity = np.zeros_like(p)
    rng = SeededGenerator(seed)
    count = len(y)
    order = list(range(count))
    capacity = min(batch_size, count)
    loss_sum = 0.0
    for _ in range(epochs):
        rng.shuffle(order)
        for first in range(0, count, capacity):
            batch = order[first:first + capacity]
            xb, yb = x[batch], y[batch]
            logits, caches = _forward(np, layers, views, xb)
            logits = logits.astype(np.float64)
            logits -= logits.max(axis=1, keepdims=True)
            logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
            loss_sum += float(-logp[np.arange(len(yb)), yb].sum())
            dz = np.exp(logp)
            dz[np.arange(len(yb)), yb] -= 1
            dz = (dz / len(yb)).astype(np.float32)
            g = np.concatenate([part.ravel() for gw, gb in _backward(np, layers, views, caches, dz) for part in (gw, gb)])
            if weight_decay != 0:
                g += np.float32(weight_decay) * p
            if momentum != 0:
                velocity *= np.float32(momentum)
                velocity += g
                p -= np.float32(lr) * velocity
            else:
                p -= np.float32(lr) * g
    return p, loss_sum / (count * epochs)


def train_command(argv):
    """train MODEL PARAMS.f32 IMAGES.f32 LABELS.u8 OUT.f32 --epochs E --batch-size B --learning-rate L --momentum M
    --weight-decay D --seed S: trains like an honest client, writes the trained parameters, prints {"loss": ...}."""
    import numpy as np
    model, params, images, labels, out = argv[:5]
    o = _options(argv[5:], ["epochs", "batch_size", "learning_rate", "momentum", "weight_decay", "seed"])
    p = np.fromfile(params, dtype="<f4")
    x = np.fromfile(images, dtype="<f4").reshape(-1, 784)
    y = np.fromfile(labels, dtype=np.uint8).astype(np.int64)
    trained, loss = train(np, p, model, x, y, int(o["epochs"]), int(o["batch_size"]), float(o["learning_rate"]),
                          float(o["momentum"]), float(o["weight_decay"]), int(o["seed"]))
    trained.astype("<f4").tofile(out)
    json.dump({"loss": loss, "parameters": len(trained)}, sys.stdout)
    sys.stdout.write("\n")
    return 0


def log(level, msg, **fields):
    parts = [f"ts={time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}", f"level={level}", f"msg={json.dumps(msg)}"]
    parts += [f"{k}={json.dumps(v) if isinstance(v, str) and (' ' in v or not v) else v}" for k, v in fields.items()]
    sys.stderr.write(" ".join(parts) + "\n")
    sys.stderr.flush()


def run_client(args):
    import numpy as np
    import pynng
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    client_id, url, pki = args["id"], args["coordinator"], args["pki_dir"]
    if not client_id.startswith("client-") or not client_id[7:].isdigit():
        raise SystemExit(f"--id must be client-N, got {client_id!r}")
    index = int(client_id[7:])
    with open(os.path.join(pki, client_id + ".key"), "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    with open(os.path.join(pki, client_id + ".crt"), "rb") as f:
        certificate = x509.load_pem_x509_certificate(f.read())
    certificate_der = certificate.public_bytes(serialization.Encoding.DER)

    def sign(data):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))

    tls = None
    if url.startswith("tls+tcp://"):
        host = url[len("tls+tcp://"):].rsplit(":", 1)[0].strip("[]")
        server_name = args.get("server_name") or ("localhost" if host in ("127.0.0.1", "::1", "") else host)
        tls = pynng.TLSConfig(pynng.TLSConfig.MODE_CLIENT, server_name=server_name,
                              ca_files=[os.path.join(pki, "ca.crt")],
                              cert_key_file=os.path.join(pki, client_id + ".pem"),
                              auth_mode=pynng.TLSConfig.AUTH_MODE_REQUIRED)
    sock = pynng.Respondent0(recv_max_size=64 << 20, reconnect_time_min=100, reconnect_time_max=5000, tls_config=tls)
    sock.dial(url, block=False)
    log("info", "client started", id=client_id, coordinator=url, implementation="python")

    spec_json, spec, x, y, parameters = None, None, None, None, None
    while True:
        data = sock.recv()
        try:
            msg = decode(data, expected_parameters=parameters)
        except WireError as e:
            log("error", "message refused", error=str(e))
            continue
        if "spec" in msg and msg["spec"] != spec_json:
            spec_json = msg["spec"]
            spec = json.loads(spec_json)
            if index >= spec["clients"]:
                raise SystemExit(f"{client_id} has no shard among {spec['clients']} clients")
            features, labels = training_pool(spec, args["data_dir"])
            shard = shard_indices(spec, index, labels)
            if spec["dataset"] == "fashion-mnist":
                pixels, size = features
                images = np.frombuffer(pixels, dtype=np.uint8).reshape(-1, size)
                x = images[shard].astype(np.float32) / np.float32(255)
            else:
                x = np.array([features[i] for i in shard], dtype=np.float32)
            y = np.array([labels[i] for i in shard], dtype=np.int64)
            parameters = parameter_count(spec["model"])
            sock.recv_max_size = HEADER_SIZE + 77 + MAX_SPEC + 4 * parameters
            log("info", "data shard loaded", samples=len(shard), indices_sha256=indices_digest(shard))
            # The message that carried the spec was decoded before the model was known: check its size now.
            if msg["type"] == "task" and len(msg["parameters"]) != parameters:
                log("error", "message refused", error=f"task has {len(msg['parameters'])} parameters, model has {parameters}")
                continue
        nonce = bytes.fromhex(msg["nonce"])
        if msg["type"] == "probe":
            reply = {"type": "register", "round": msg["round"], "nonce": msg["nonce"], "client_id": client_id,
                     "certificate_der": certificate_der.hex(),
                     "signature": sign(register_signing_bytes(nonce, client_id)).hex()}
            sock.send(encode(reply))
            log("debug", "registration sent")
        elif msg["type"] == "task":
            started = time.monotonic()
            h = msg["hyperparameters"]
            seed = (h["seed"] + index * 0x2545F491) & MASK64
            base = np.array(msg["parameters"], dtype=np.float32)
            trained, loss = train(np, base, spec["model"], x, y, h["epochs"], h["batch_size"],
                                  h["learning_rate"], h["momentum"], h["weight_decay"], seed)
            delta = (trained - base).astype(np.float32)
            values = delta.tolist()
            samples = len(y) * h["epochs"]
            base_digest = hashlib.sha256(base.astype("<f4").tobytes()).digest()
            update_digest = hashlib.sha256(delta.astype("<f4").tobytes()).digest()
            signature = sign(update_signing_bytes(nonce, msg["round"], client_id, samples, base_digest, update_digest))
            reply = {"type": "update", "round": msg["round"], "nonce": msg["nonce"], "encoding": "float32",
                     "client_id": client_id, "certificate_der": certificate_der.hex(), "sample_count": samples,
                     "train_loss": loss, "base_model_digest": base_digest.hex(), "update": values,
                     "signature": signature.hex()}
            encoded = encode(reply)
            sending = time.monotonic()
            sock.send(encoded)
            log("info", "update sent", round=msg["round"], samples=samples, train_loss=loss,
                work_ms=int((sending - started) * 1000), send_ms=int((time.monotonic() - sending) * 1000))
        elif msg["type"] == "finish":
            log("info", "federation finished; exiting", round=msg["round"], reason=msg["reason"])
            sock.close()
            return 0
        else:
            log("warning", "ignored unexpected message", type=msg["type"])


def _options(argv, names):
    out = {}
    i = 0
    while i < len(argv):
        name = argv[i][2:].replace("-", "_") if argv[i].startswith("--") else None
        if name not in names or i + 1 >= len(argv):
            raise SystemExit(f"unexpected argument {argv[i]!r}; options: " + ", ".join("--" + n.replace("_", "-") for n in names))
        out[name] = argv[i + 1]
        i += 2
    return out


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
    if argv[:1] == ["client"]:
        args = {"data_dir": "/usr/share/datasets/fashion-mnist"}
        args.update(_options(argv[1:], ["id", "coordinator", "pki_dir", "data_dir", "server_name"]))
        for required in ("id", "coordinator", "pki_dir"):
            if required not in args:
                raise SystemExit(f"client needs --{required.replace('_', '-')}")
        return run_client(args)
    if len(argv) >= 3 and argv[0] == "shard":
        with open(argv[1]) as f:
            spec = json.load(f)
        data_dir = _options(argv[3:], ["data_dir"]).get("data_dir", "/usr/share/datasets/fashion-mnist")
        _, labels = training_pool(spec, data_dir)
        indices = shard_indices(spec, int(argv[2]), labels)
        json.dump({"size": len(indices), "indices_sha256": indices_digest(indices)}, sys.stdout)
        sys.stdout.write("\n")
        return 0
    if len(argv) >= 6 and argv[0] == "train":
        return train_command(argv[1:])
    if argv == ["selftest"]:
        selftest()
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
