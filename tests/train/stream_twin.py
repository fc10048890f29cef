"""The PyTorch twin's data path (bench/torch_train.py) == rocks' loader, sample by sample.

    stream_twin.py TEST_DS_BIN SCRATCH_DIR

On a random-game dataset, for both feature sets and with a shuffle buffer smaller than the
dataset, `test_ds --stream` prints rocks' first samples over two epochs (global index,
symmetry, target after the symmetry, value, legal-move count, a checksum of the input planes);
the twin's re-implementation (xoshiro256**, shard shuffle, shuffle buffer, symmetries, numpy
feature decoding) must print exactly the same.
"""
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import numpy as np  # noqa: E402
import torch_train as tt  # noqa: E402


def main():
    test_ds, scratch = sys.argv[1:3]
    shutil.rmtree(scratch, ignore_errors=True)
    data = os.path.join(scratch, "data")
    subprocess.run([test_ds, "--random-dataset", data, "5", "20", "7"], check=True)
    d = tt.Data(data)
    failures = 0
    for feat, seed, buffer in (("agz", 12345, 100), ("rich", 99, 0)):
        n = 2 * d.stones.shape[0] + 17
        out = subprocess.run([test_ds, "--stream", data, str(seed), str(buffer), feat, str(n)], check=True,
                             capture_output=True, text=True).stdout.split("\n")
        s = tt.Stream(d.counts, seed, shuffle=True, buffer=buffer, symmetries=True)
        items = [next(s) for _ in range(n)]
        weights = (np.arange(d.stones.shape[0] * 0 + (17 if feat == "agz" else 16) * d.nn) % 97 + 1).astype(np.float64)
        bad = 0
        for k0 in range(0, n, 64):
            chunk = items[k0:k0 + 64]
            x, pt, vt, tgt, nlegal = d.batch(chunk, feat)
            xs = x.reshape(len(chunk), -1).numpy().astype(np.float64) @ weights
            for k, (g, sym) in enumerate(chunk):
                line = f"{g} {sym} {int(tgt[k])} {float(vt[k]):g} {int(nlegal[k])} {xs[k]:.0f}"
                if line != out[k0 + k]:
                    if bad < 5:
                        print(f"{feat} sample {k0 + k}: twin '{line}' != rocks '{out[k0 + k]}'")
                    bad += 1
        print(f"{feat}: {n} samples (2 epochs of {d.stones.shape[0]}), {bad} differences")
        failures += bad
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
