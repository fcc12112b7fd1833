#!/usr/bin/env python3
"""Reference for `fedattr bench train`: one epoch of SGD on an MLP 784-128-10 in plain NumPy (float32).

Same work as the Swift trainer: seeded shuffle, gather a batch, x·W1 + b1, ReLU, ·W2 + b2, softmax
cross-entropy (mean over the batch), back-propagation (no input gradient for the first layer), p -= lr·g.
Thread count comes from OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, set by the caller before NumPy loads.
Prints one JSON line: samples_per_second, samples_per_cpu_second (medians over --repeats), mean_loss, samples.
"""
import argparse
import gzip
import json
import os
import time

import numpy as np


def load(directory, limit):
    with gzip.open(os.path.join(directory, "train-images-idx3-ubyte.gz")) as f:
        raw = f.read()
    count = int.from_bytes(raw[4:8], "big")
    n = min(count, limit)
    images = np.frombuffer(raw, dtype=np.uint8, count=n * 784, offset=16).reshape(n, 784).astype(np.float32) / 255
    with gzip.open(os.path.join(directory, "train-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, count=n, offset=8).astype(np.int64)
    return images, labels


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=12000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1, help="timed runs from the same fresh model; medians reported")
    parser.add_argument("--directory", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args()

    x_all, y_all = load(args.directory, args.images)
    rng = np.random.default_rng(args.seed)
    h = args.hidden
    w1 = ((rng.random((784, h), dtype=np.float32) * 2 - 1) * np.sqrt(6 / 784)).astype(np.float32)
    b1 = np.zeros(h, dtype=np.float32)
    w2 = ((rng.random((h, 10), dtype=np.float32) * 2 - 1) * np.sqrt(6 / (h + 10))).astype(np.float32)
    b2 = np.zeros(10, dtype=np.float32)
    lr = np.float32(args.lr)
    n = len(y_all)

    def epoch(order, w1, b1, w2, b2):
        loss_sum = 0.0
        for first in range(0, len(order), args.batch):
            idx = order[first:first + args.batch]
            x, y = x_all[idx], y_all[idx]
            b = len(y)
            z1 = x @ w1 + b1
            a1 = np.maximum(z1, 0)
            z2 = a1 @ w2 + b2
            z2 -= z2.max(axis=1, keepdims=True)
            e = np.exp(z2)
            s = e.sum(axis=1, keepdims=True)
            loss_sum += float(np.sum(np.log(s[:, 0]) - z2[np.arange(b), y]))
            d2 = e / s
            d2[np.arange(b), y] -= 1
            d2 /= b
            dw2 = a1.T @ d2
            db2 = d2.sum(axis=0)
            d1 = d2 @ w2.T
            d1[z1 <= 0] = 0
            dw1 = x.T @ d1
            db1 = d1.sum(axis=0)
            w1 -= lr * dw1
            b1 -= lr * db1
            w2 -= lr * dw2
            b2 -= lr * db2
        return loss_sum

    # Warm-up on throwaway copies over the first 10 batches, as the Swift side does.
    epoch(np.arange(min(n, 10 * args.batch)), w1.copy(), b1.copy(), w2.copy(), b2.copy())

    samples = n * args.epochs
    wall_rates, cpu_rates = [], []
    for _ in range(max(1, args.repeats)):
        run_rng = np.random.default_rng(args.seed + 1)
        p = [w1.copy(), b1.copy(), w2.copy(), b2.copy()]
        loss_sum = 0.0
        start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(args.epochs):
            loss_sum += epoch(run_rng.permutation(n), *p)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
        wall_rates.append(samples / seconds)
        cpu_rates.append(samples / cpu_seconds)
    print(json.dumps({"samples_per_second": float(np.median(wall_rates)),
                      "samples_per_cpu_second": float(np.median(cpu_rates)),
                      "mean_loss": loss_sum / samples, "samples": samples, "repeats": len(wall_rates),
                      "numpy": np.__version__}))


if __name__ == "__main__":
    main()
