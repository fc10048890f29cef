"""rocks.analysis — fits for the research harness: power laws, the compute-optimal frontier,
learning-rate curves. numpy + scipy only; inputs are array-likes (or pandas columns).

    fit = power_law_fit(C, L)                    # L = a * C^b  (log-log least squares)
    fit = power_law_fit(C, L, irreducible=True)  # L = E + a * C^b  (scipy curve_fit)
    ci  = bootstrap_power_law(C, L, n=1000)      # {'a': (lo, hi), 'b': (lo, hi), ...}
    fr  = chinchilla_frontier(curves, ...)       # min-loss envelope over model sizes per compute
    lr  = lr_optima(df, group="width")           # best LR per width, parabola in log lr
"""
from dataclasses import dataclass

import numpy as np


@dataclass
class PowerLaw:
    """L(C) = E + a * C^b (E = 0 for a pure power law)."""
    a: float
    b: float
    E: float = 0.0
    r2: float = float("nan")     # R^2 in log space
    n: int = 0

    def __call__(self, C):
        return self.E + self.a * np.power(np.asarray(C, dtype=float), self.b)

    def as_dict(self):
        return {"a": self.a, "b": self.b, "E": self.E, "r2": self.r2, "n": self.n}


def _clean(x, y):
    x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError("x and y differ in length (%d vs %d)" % (x.size, y.size))
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    return x[ok], y[ok]


def power_law_fit(C, L, irreducible=False, E0=None):
    """Fits L = a*C^b by least squares on (log C, log L); with irreducible=True fits L = E + a*C^b
    (E >= 0) by scipy.optimize.curve_fit on log L, started from the pure fit of L - E0
    (default E0 = 0.9 * min L). Needs >= 2 points (>= 4 with E). Raises ValueError otherwise."""
    x, y = _clean(C, L)
    need = 4 if irreducible else 2
    if x.size < need or np.unique(x).size < need:
        raise ValueError("power_law_fit needs at least %d distinct positive points (got %d)" % (need, x.size))
    lx, ly = np.log(x), np.log(y)
    b, la = np.polyfit(lx, ly, 1)
    fit = PowerLaw(a=float(np.exp(la)), b=float(b), n=int(x.size))
    if irreducible:
        from scipy.optimize import curve_fit
        e0 = 0.9 * y.min() if E0 is None else float(E0)
        b0, la0 = np.polyfit(lx, np.log(np.maximum(y - e0, 1e-12 * y.max())), 1)
        mx = lx.mean()  # centre log C: fit log(E + A * exp(b (lx - mx))), a = A * exp(-b mx)

        def f(lxx, le, lA, bb):
            return np.log(np.exp(le) + np.exp(lA + bb * (lxx - mx)))

        p0 = [np.log(max(e0, 1e-12)), la0 + b0 * mx, b0]
        try:
            p, _ = curve_fit(f, lx, ly, p0=p0, maxfev=20000, ftol=1e-14, xtol=1e-14, gtol=1e-14)
        except RuntimeError as e:
            raise ValueError("power_law_fit with E did not converge: %s" % e)
        fit = PowerLaw(a=float(np.exp(p[1] - p[2] * mx)), b=float(p[2]), E=float(np.exp(p[0])), n=int(x.size))
    pred = np.log(fit(x))
    ss = float(np.sum((ly - ly.mean()) ** 2))
    fit.r2 = 1.0 - float(np.sum((ly - pred) ** 2)) / ss if ss > 0 else float("nan")
    return fit


def bootstrap_power_law(C, L, n=1000, ci=0.95, seed=0, irreducible=False):
    """Bootstrap confidence intervals of the fit's parameters: refits on n resamples of the points
    (with replacement; resamples with too few distinct points are redrawn). Returns
    {'a': (lo, hi), 'b': (lo, hi), 'E': (lo, hi), 'fit': PowerLaw on all points, 'samples': array}."""
    x, y = _clean(C, L)
    fit = power_law_fit(x, y, irreducible)
    rng = np.random.default_rng(seed)
    need = 4 if irreducible else 2
    samples = []
    tries = 0
    while len(samples) < n and tries < 20 * n:
        tries += 1
        idx = rng.integers(0, x.size, x.size)
        if np.unique(x[idx]).size < need:
            continue
        try:
            f = power_law_fit(x[idx], y[idx], irreducible)
        except ValueError:
            continue
        samples.append((f.a, f.b, f.E))
    s = np.array(samples)
    q = [(1 - ci) / 2 * 100, (1 + ci) / 2 * 100]
    out = {"fit": fit, "samples": s, "ci": ci}
    for i, k in enumerate(("a", "b", "E")):
        lo, hi = np.percentile(s[:, i], q)
        out[k] = (float(lo), float(hi))
    return out


def chinchilla_frontier(curves, compute="flops", loss="val_loss", size="params", n_grid=50):
    """Chinchilla approach 1: for each compute C on a log grid, the minimum loss over model sizes
    (each size's loss curve interpolated in log C, within the compute range it covers) and the
    size reaching it. `curves` is a DataFrame (or dict of columns) with compute, loss and size
    columns (rows without a loss are dropped). Returns a DataFrame with columns
    flops, loss, params (N at the minimum) and the model size count covering each grid point."""
    import pandas as pd
    df = pd.DataFrame(curves)[[compute, loss, size]].dropna()
    df = df[(df[compute] > 0) & (df[loss] > 0)]
    if df.empty:
        raise ValueError("chinchilla_frontier: no rows with positive %s and %s" % (compute, loss))
    lo, hi = np.log(df[compute].min()), np.log(df[compute].max())
    grid = np.exp(np.linspace(lo, hi, n_grid))
    per = []
    for n, g in df.groupby(size):
        g = g.groupby(compute, as_index=False)[loss].mean().sort_values(compute)
        per.append((n, np.log(g[compute].values), g[loss].values))
    rows = []
    for c in grid:
        lc = np.log(c)
        best, bn, cover = np.inf, np.nan, 0
        for n, lx, ly in per:
            if lx.size == 0 or lc < lx[0] - 1e-9 or lc > lx[-1] + 1e-9:
                continue
            cover += 1
            v = float(np.interp(lc, lx, ly)) if lx.size > 1 else float(ly[0])
            if v < best:
                best, bn = v, n
        if cover:
            rows.append({compute: c, loss: best, size: bn, "models": cover})
    return pd.DataFrame(rows)


def n_opt_fit(frontier, compute="flops", size="params", min_models=2):
    """Power fit N_opt(C) = k * C^alpha over the frontier points covered by >= min_models sizes."""
    f = frontier[frontier["models"] >= min_models] if "models" in frontier else frontier
    return power_law_fit(f[compute], f[size])


def lr_optima(df, lr="lr", loss="val_loss", group="width", fit_points=5):
    """Per group (e.g. width): the best LR on the grid and a parabola fit of loss vs log lr through
    the (up to) fit_points grid points nearest to it. Returns a DataFrame: group, lr_best, loss_best,
    lr_opt (vertex of the parabola, when it opens upwards and lies inside the fitted range, else
    lr_best), loss_opt, curvature."""
    import pandas as pd
    d = pd.DataFrame(df)
    groups = [group] if isinstance(group, str) else list(group or [])
    keys = (d.groupby(groups[0]) if len(groups) == 1 else d.groupby(groups)) if groups else [((), d)]
    rows = []
    for key, g in keys:
        g = g.dropna(subset=[lr, loss]).groupby(lr, as_index=False)[loss].mean().sort_values(lr)
        if g.empty:
            continue
        x, y = np.log(g[lr].values), g[loss].values
        i = int(np.argmin(y))
        row = dict(zip(groups, key if isinstance(key, tuple) else (key,)))
        row.update(lr_best=float(np.exp(x[i])), loss_best=float(y[i]), lr_opt=float(np.exp(x[i])),
                   loss_opt=float(y[i]), curvature=float("nan"), points=int(len(x)))
        if len(x) >= 3:
            order = np.argsort(np.abs(np.arange(len(x)) - i), kind="stable")[:max(3, fit_points)]
            xs, ys = x[order], y[order]
            c2, c1, c0 = np.polyfit(xs, ys, 2)
            row["curvature"] = float(c2)
            if c2 > 0:
                v = -c1 / (2 * c2)
                if xs.min() <= v <= xs.max():
                    row["lr_opt"] = float(np.exp(v))
                    row["loss_opt"] = float(c0 + c1 * v + c2 * v * v)
        rows.append(row)
    return pd.DataFrame(rows)
