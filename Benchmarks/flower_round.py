#!/usr/bin/env python3
"""Flower baseline for `fedattr bench round`: the same federation shape in Flower's legacy long-running-process API.

One `flwr.server.start_server` process (FedAvg, every client every round) and N client processes started with
`flwr.client.start_client`, each a NumPyClient holding an MLP 784-128-10 (101,770 float32 parameters) and 1/N of the
first --train-limit Fashion-MNIST training images (IID split). `--strategy unchanged` returns the received model as
is (pure framework overhead); `--strategy honest` trains --epochs of SGD (batch 32, lr 0.05) with the NumPy trainer of
Benchmarks/train_numpy.py's arithmetic. `--tls` serves over TLS (server certificate only: Flower's gRPC transport has
no client certificates in this API). Each client process pins OpenBLAS to one thread, as fedattr's clients do.

Per round the server strategy times configure_fit → aggregate_fit (broadcast + client work + collect + aggregate),
the same span as fedattr's rounds.jsonl `broadcast + collect + aggregate`. Prints one JSON line.
"""
import argparse
import gzip
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(directory, limit):
    import numpy as np
    with gzip.open(os.path.join(directory, "train-images-idx3-ubyte.gz")) as f:
        raw = f.read()
    n = min(int.from_bytes(raw[4:8], "big"), limit)
    images = np.frombuffer(raw, dtype=np.uint8, count=n * 784, offset=16).reshape(n, 784).astype(np.float32) / 255
    with gzip.open(os.path.join(directory, "train-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, count=n, offset=8).astype(np.int64)
    return images, labels


def initial_parameters(hidden, seed):
    import numpy as np
    rng = np.random.default_rng(seed)
    w1 = ((rng.random((784, hidden), dtype=np.float32) * 2 - 1) * np.sqrt(6 / 784)).astype(np.float32)
    w2 = ((rng.random((hidden, 10), dtype=np.float32) * 2 - 1) * np.sqrt(6 / (hidden + 10))).astype(np.float32)
    return [w1, np.zeros(hidden, np.float32), w2, np.zeros(10, np.float32)]


def sgd_epoch(x_all, y_all, order, params, batch, lr):
    import numpy as np
    w1, b1, w2, b2 = params
    for first in range(0, len(order), batch):
        idx = order[first:first + batch]
        x, y = x_all[idx], y_all[idx]
        b = len(y)
        z1 = x @ w1 + b1
        a1 = np.maximum(z1, 0)
        z2 = a1 @ w2 + b2
        z2 -= z2.max(axis=1, keepdims=True)
        e = np.exp(z2)
        d2 = e / e.sum(axis=1, keepdims=True)
        d2[np.arange(b), y] -= 1
        d2 /= b
        dw2, db2 = a1.T @ d2, d2.sum(axis=0)
        d1 = d2 @ w2.T
        d1[z1 <= 0] = 0
        dw1, db1 = x.T @ d1, d1.sum(axis=0)
        w1 -= lr * dw1
        b1 -= lr * db1
        w2 -= lr * dw2
        b2 -= lr * db2


def run_client(args):
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    import numpy as np
    import flwr as fl

    x_all, y_all = load(args.data_dir, args.train_limit)
    x, y = x_all[args.index::args.clients], y_all[args.index::args.clients]   # IID: every N-th image

    class Client(fl.client.NumPyClient):
        def fit(self, parameters, config):
            if args.strategy == "unchanged":
                return parameters, len(y), {}
            params = [p.copy() for p in parameters]
            rng = np.random.default_rng(args.index + int(config.get("round", 0)))
            for _ in range(args.epochs):
                sgd_epoch(x, y, rng.permutation(len(y)), params, 32, np.float32(0.05))
            return params, len(y) * args.epochs, {}

    root = open(args.ca, "rb").read() if args.ca else None
    fl.client.start_client(server_address=args.address, client=Client().to_client(),
                           root_certificates=root, insecure=root is None)


def make_certificates(directory):
    """A throwaway CA and a P-256 server certificate for localhost, with the openssl CLI."""
    def sh(*cmd):
        subprocess.run(cmd, check=True, cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
       "-subj", "/CN=bench-ca", "-keyout", "ca.key", "-out", "ca.crt")
    sh("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
       "-keyout", "server.key", "-out", "server.csr")
    with open(os.path.join(directory, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n")
    sh("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
       "-days", "1", "-extfile", "ext.cnf", "-out", "server.crt")
    return [open(os.path.join(directory, n), "rb").read() for n in ("ca.crt", "server.crt", "server.key")]


def run_server(args):
    import numpy as np
    import flwr as fl
    from flwr.common import ndarrays_to_parameters

    rounds = {}

    class Timed(fl.server.strategy.FedAvg):
        def configure_fit(self, server_round, parameters, client_manager):
            # Sampling waits until all clients are connected; the round's clock starts once they are.
            instructions = super().configure_fit(server_round, parameters, client_manager)
            rounds[server_round] = [time.perf_counter(), None]
            return instructions

        def aggregate_fit(self, server_round, results, failures):
            out = super().aggregate_fit(server_round, results, failures)
            rounds[server_round][1] = time.perf_counter()
            if failures:
                print(f"round {server_round}: {len(failures)} failures", file=sys.stderr)
            return out

    params = initial_parameters(128, 1)
    strategy = Timed(fraction_fit=1.0, fraction_evaluate=0.0, min_fit_clients=args.clients,
                     min_available_clients=args.clients, min_evaluate_clients=0,
                     on_fit_config_fn=lambda r: {"round": r},
                     initial_parameters=ndarrays_to_parameters(params))
    certificates = None
    tmp = None
    if args.tls:
        tmp = tempfile.mkdtemp(prefix="flower-bench-")
        certificates = tuple(make_certificates(tmp))
    port = free_port()
    address = f"127.0.0.1:{port}"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", GRPC_VERBOSITY="ERROR")
    clients = []
    for i in range(args.clients):
        cmd = [sys.executable, __file__, "--role", "client", "--index", str(i), "--clients", str(args.clients),
               "--address", ("localhost:%d" % port) if args.tls else address, "--strategy", args.strategy,
               "--train-limit", str(args.train_limit), "--epochs", str(args.epochs), "--data-dir", args.data_dir]
        if args.tls:
            cmd += ["--ca", os.path.join(tmp, "ca.crt")]
        clients.append(subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    start = time.perf_counter()
    fl.server.start_server(server_address=address, config=fl.server.ServerConfig(num_rounds=args.rounds),
                           strategy=strategy, certificates=certificates)
    total = time.perf_counter() - start
    for c in clients:
        try:
            c.wait(timeout=30)
        except subprocess.TimeoutExpired:
            c.kill()
    ms = [1000 * (e - s) for s, e in (rounds[r] for r in sorted(rounds)) if e is not None]
    print(json.dumps({
        "framework": "flower", "flwr": fl.__version__, "strategy": args.strategy, "tls": args.tls,
        "clients": args.clients, "rounds": len(ms), "parameters": int(sum(p.size for p in params)),
        "round_ms_median": float(np.median(ms)), "round_ms_p10": float(np.percentile(ms, 10)),
        "round_ms_p90": float(np.percentile(ms, 90)), "rounds_seconds": sum(ms) / 1000, "wall_seconds": total,
        # First round's configure_fit to the last round's aggregate_fit: the gaps between rounds included.
        "rounds_span_seconds": max(e for _, e in rounds.values() if e is not None) - min(s for s, _ in rounds.values()),
    }))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--role", choices=["server", "client"], default="server")
    p.add_argument("--clients", type=int, default=10)
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--strategy", choices=["unchanged", "honest"], default="unchanged")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--train-limit", type=int, default=6000)
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--index", type=int, default=0)
    p.add_argument("--address", default="")
    p.add_argument("--ca", default="")
    args = p.parse_args()
    if args.role == "client":
        run_client(args)
    else:
        run_server(args)


if __name__ == "__main__":
    main()
