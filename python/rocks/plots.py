"""rocks.plots — the harness's figures (matplotlib, Agg backend, PNG, written atomically).

    loss_vs_flops(curves, path)                  loss curves per job vs training FLOPs (log-log)
    power_law(C, L, fit, path, ci=None)          points + fitted L(C) (+ bootstrap band)
    frontier(curves, frontier, path, nfit=None)  curves per size + min-loss envelope; N_opt(C) panel
    lr_curves(df, path, optima=None)             loss vs lr per width (one panel per param)
    bars(labels, values, path, ylabel)           a bar chart (speed ratios)
"""
import os
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _save(fig, path):
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".png", dir=d)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=120, bbox_inches="tight", format="png")
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def loss_vs_flops(curves, path, x="flops", y="val_loss", by="job", title=None):
    """One line per `by` value of the curves DataFrame (rows without y are skipped)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    d = curves.dropna(subset=[y])
    for key, g in d.groupby(by):
        g = g.sort_values(x)
        ax.plot(g[x], g[y], marker="o", ms=3, label=str(key))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training FLOPs" if x == "flops" else x)
    ax.set_ylabel(y)
    if title:
        ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    return _save(fig, path)


def power_law(C, L, fit, path, ci=None, xlabel="training FLOPs C", ylabel="loss L", title=None):
    """Points, the fitted curve and (with ci = bootstrap_power_law's result) a 95% band."""
    C, L = np.asarray(C, float), np.asarray(L, float)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter(C, L, s=14, label="runs", zorder=3)
    xs = np.exp(np.linspace(np.log(C.min()), np.log(C.max()), 200))
    lab = "L = %.3g·C^%.3f" % (fit.a, fit.b) if not fit.E else "L = %.3g + %.3g·C^%.3f" % (fit.E, fit.a, fit.b)
    ax.plot(xs, fit(xs), "r-", label=lab)
    if ci is not None and len(ci.get("samples", [])):
        s = ci["samples"]
        band = s[:, 2][:, None] + s[:, 0][:, None] * xs[None, :] ** s[:, 1][:, None]
        lo, hi = np.percentile(band, [(1 - ci["ci"]) / 2 * 100, (1 + ci["ci"]) / 2 * 100], axis=0)
        ax.fill_between(xs, lo, hi, color="r", alpha=0.15, label="%d%% bootstrap band" % round(100 * ci["ci"]))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    return _save(fig, path)


def frontier(curves, front, path, nfit=None, compute="flops", loss="val_loss", size="params", title=None):
    """Left: loss vs compute per model size and the min-loss envelope. Right: N_opt(C) and its fit."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    d = curves.dropna(subset=[loss])
    for n, g in d.groupby(size):
        g = g.sort_values(compute)
        a1.plot(g[compute], g[loss], alpha=0.7, label="N=%.3g" % n)
    a1.plot(front[compute], front[loss], "k--", lw=2, label="frontier")
    a1.set_xscale("log")
    a1.set_yscale("log")
    a1.set_xlabel("training FLOPs")
    a1.set_ylabel(loss)
    a1.legend(fontsize=7)
    a1.grid(True, which="both", alpha=0.3)
    a2.scatter(front[compute], front[size], s=12, label="N_opt on the frontier")
    if nfit is not None:
        xs = np.exp(np.linspace(np.log(front[compute].min()), np.log(front[compute].max()), 100))
        a2.plot(xs, nfit(xs), "r-", label="N_opt = %.3g·C^%.3f" % (nfit.a, nfit.b))
    a2.set_xscale("log")
    a2.set_yscale("log")
    a2.set_xlabel("training FLOPs")
    a2.set_ylabel("parameters N")
    a2.legend(fontsize=7)
    a2.grid(True, which="both", alpha=0.3)
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def lr_curves(df, path, lr="lr", loss="val_loss", width="width", panel="param", optima=None, title=None):
    """Loss vs learning rate, one line per width, one panel per `panel` value (e.g. sp / mup).
    optima: lr_optima's DataFrame (grouped by panel and width) to mark the fitted optimum."""
    panels = sorted(df[panel].unique()) if panel in df else [None]
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False, sharey=True)
    for ax, p in zip(axes[0], panels):
        d = df if p is None else df[df[panel] == p]
        for w, g in d.groupby(width):
            g = g.dropna(subset=[loss]).groupby(lr, as_index=False)[loss].mean().sort_values(lr)
            line, = ax.plot(g[lr], g[loss], marker="o", ms=3, label="%s=%s" % (width, w))
            if optima is not None:
                o = optima[optima[width] == w]
                if p is not None and panel in o:
                    o = o[o[panel] == p]
                if len(o):
                    ax.plot(o["lr_opt"], o["loss_opt"], "*", ms=10, color=line.get_color())
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel(loss)
        ax.set_title(str(p) if p is not None else "")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def bars(labels, values, path, ylabel, log=False, title=None, annotate="%.0fx"):
    """A bar chart (e.g. speed ratios), each bar annotated with its value."""
    fig, ax = plt.subplots(figsize=(max(4, 1.6 * len(labels)), 4))
    xs = np.arange(len(labels))
    ax.bar(xs, values, color="tab:blue")
    for x, v in zip(xs, values):
        ax.annotate(annotate % v, (x, v), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(xs)
    ax.set_xticklabels(labels, fontsize=8, rotation=15)
    if log:
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, axis="y", which="both", alpha=0.3)
    return _save(fig, path)
