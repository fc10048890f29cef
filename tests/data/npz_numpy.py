"""numpy <-> rocks .npz interoperability (tests/test_npz.c holds the same fixture set).

    npz_numpy.py TEST_NPZ_BINARY SCRATCH_DIR

1. `test_npz --write DIR` writes c_stored.npz and c_deflate.npz; numpy.load must read every
   array with the expected dtype, shape and values.
2. numpy writes the same arrays with np.savez and np.savez_compressed; `test_npz --read-numpy`
   must read them back exactly.
"""
import os
import subprocess
import sys

import numpy as np


def fixtures():
    i = lambda n: np.arange(n, dtype=np.int64)  # noqa: E731
    return {
        "f32": (i(12) * 0.5 - 1.0).astype("<f4").reshape(3, 4),
        "f64_scalar": np.array(3.141592653589793, dtype="<f8"),
        "i64": (i(5) * 1000000000000 - 7).astype("<i8"),
        "u8": (i(24) * 7 % 251).astype("u1").reshape(2, 3, 4),
        "i8": ((i(6) * 37 - 100 + 128) % 256 - 128).astype("i1"),
        "i16": (i(4) * 1000 - 30000).astype("<i2"),
        "u16": (65535 - i(3)).astype("<u2"),
        "i32": (i(4) * -123456 + 1).astype("<i4").reshape(2, 2),
        "u32": (4000000000 + np.arange(2, dtype=np.uint64)).astype("<u4"),
        "u64": (np.uint64(18000000000000000000) + np.arange(2, dtype=np.uint64)).astype("<u8"),
        "flag": (i(7) % 3 == 0),
        "names": np.array([b"go", b"rocks!", b""], dtype="S6"),
        "empty": np.zeros((0, 5), dtype="<f4"),
    }


def main():
    binary, scratch = sys.argv[1], sys.argv[2]
    os.makedirs(scratch, exist_ok=True)
    subprocess.run([binary, "--write", scratch], check=True)
    want = fixtures()
    failures = 0
    for name in ("c_stored.npz", "c_deflate.npz"):
        with np.load(os.path.join(scratch, name)) as z:
            if sorted(z.files) != sorted(want):
                print(f"{name}: members {sorted(z.files)} != {sorted(want)}")
                failures += 1
            for k, v in want.items():
                got = z[k]
                if got.dtype != v.dtype or got.shape != v.shape or not np.array_equal(got, v):
                    print(f"{name}:{k}: got {got.dtype}{got.shape} {got!r}, want {v.dtype}{v.shape} {v!r}")
                    failures += 1
        print(f"numpy read {name}: {len(want)} arrays checked")
    for name, save in (("np_stored.npz", np.savez), ("np_deflate.npz", np.savez_compressed)):
        path = os.path.join(scratch, name)
        save(path, **want)
        r = subprocess.run([binary, "--read-numpy", path])
        if r.returncode != 0:
            print(f"rocks could not read numpy's {name}")
            failures += 1
    if failures:
        print(f"npz_numpy: {failures} failures")
        sys.exit(1)
    print("npz_numpy: ok")


if __name__ == "__main__":
    main()
