"""rocks.plots writes real PNG files (atomically, no temp files left)."""
import os

import numpy as np
import pandas as pd

from rocks import analysis as A
from rocks import plots as P

PNG = b"\x89PNG\r\n\x1a\n"


def is_png(path):
    with open(path, "rb") as f:
        head = f.read(8)
    return head == PNG and os.path.getsize(path) > 5000


def test_all_figures(tmp_path):
    C = np.logspace(12, 16, 10)
    L = 5 * C ** -0.05 * np.exp(np.random.default_rng(0).normal(0, 0.01, C.size))
    ci = A.bootstrap_power_law(C, L, n=50)
    out = [P.power_law(C, L, ci["fit"], str(tmp_path / "pl.png"), ci=ci)]
    rows = []
    for N in (1e4, 1e5, 1e6):
        for c in np.logspace(12, 16, 8):
            rows.append({"job": "n%g" % N, "flops": c, "params": N, "val_loss": 2 + 1e3 / N ** 0.3 + 1e3 / (c / N) ** 0.3})
    curves = pd.DataFrame(rows)
    fr = A.chinchilla_frontier(curves)
    out.append(P.frontier(curves, fr, str(tmp_path / "sub" / "frontier.png"), nfit=A.n_opt_fit(fr)))
    out.append(P.loss_vs_flops(curves, str(tmp_path / "curves.png"), title="t"))
    lr = pd.DataFrame([{"param": p, "width": w, "lr": x, "val_loss": 2 + (np.log(x) + 6) ** 2 / w}
                       for p in ("sp", "mup") for w in (64, 128) for x in np.logspace(-4, -1, 7)])
    out.append(P.lr_curves(lr, str(tmp_path / "lr.png"), optima=A.lr_optima(lr, group=["param", "width"])))
    out.append(P.bars(["playouts", "mcts"], [120.0, 95.0], str(tmp_path / "bars.png"), "speedup", log=True))
    for p in out:
        assert is_png(p), p
    leftovers = [f for d, _, fs in os.walk(str(tmp_path)) for f in fs if f.startswith(".tmp")]
    assert leftovers == []
