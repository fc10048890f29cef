#!/usr/bin/python3
"""zero_report.py — figures and report.md of a `rocks zero` run folder (docs/selfplay.md).

    /usr/bin/python3 python/rocks/zero_report.py RUN

Reads RUN/config.json, RUN/train.csv, RUN/eval.csv and RUN/workers/*/selfplay.csv; writes
RUN/figures/{loss,elo,winrate,selfplay}.png and RUN/report.md (each written to a temporary file
and renamed). Missing or empty CSVs give a figure saying "no data yet" rather than an error.
Standard library + matplotlib only (Agg backend).
"""
import csv
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        rows = []
        for r in csv.DictReader(f):
            if None in r.values() or None in r:  # a row cut short by a kill
                continue
            rows.append(r)
        return rows


def fnum(x, default=float("nan")):
    try:
        return float(x)
    except (TypeError, ValueError):
        return default


def save(fig, path):
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, path)


def empty(ax, what):
    ax.text(0.5, 0.5, "no %s yet" % what, ha="center", va="center", transform=ax.transAxes)


def main(run):
    figs = os.path.join(run, "figures")
    os.makedirs(figs, exist_ok=True)
    cfg = {}
    if os.path.exists(os.path.join(run, "config.json")):
        with open(os.path.join(run, "config.json")) as f:
            cfg = json.load(f)
    train = read_csv(os.path.join(run, "train.csv"))
    ev = read_csv(os.path.join(run, "eval.csv"))
    workers = []
    wdir = os.path.join(run, "workers")
    if os.path.isdir(wdir):
        for w in sorted(os.listdir(wdir)):
            rows = read_csv(os.path.join(wdir, w, "selfplay.csv"))
            if rows:
                workers.append((w, rows))

    # ---- loss ----
    fig, ax = plt.subplots(figsize=(6.5, 4))
    if train:
        st = [fnum(r["step"]) for r in train]
        ax.plot(st, [fnum(r["loss"]) for r in train], label="total")
        ax.plot(st, [fnum(r["policy_loss"]) for r in train], label="policy (cross-entropy)")
        ax.plot(st, [fnum(r["value_loss"]) for r in train], label="value (MSE)")
        ax.set_xlabel("training step")
        ax.set_ylabel("loss (training batches)")
        ax.legend()
        ax.grid(alpha=0.3)
    else:
        empty(ax, "training rows")
    ax.set_title("training loss")
    save(fig, os.path.join(figs, "loss.png"))

    # ---- Elo ----
    fig, ax = plt.subplots(figsize=(6.5, 4))
    elo_pts = {}
    for r in ev:
        elo_pts[r["model"]] = (fnum(r["wall_s"]) / 60, fnum(r["elo"]), fnum(r["step"]))
    if elo_pts:
        pts = sorted(elo_pts.values())
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-")
        ax.set_xlabel("minutes")
        ax.set_ylabel("Elo (initial model = 0)")
        ax.grid(alpha=0.3)
    else:
        empty(ax, "evaluations")
    ax.set_title("Elo over time (each model vs the previous evaluated one)")
    save(fig, os.path.join(figs, "elo.png"))

    # ---- win rates ----
    fig, ax = plt.subplots(figsize=(6.5, 4))
    opps = sorted({r["opponent"] for r in ev if not r["opponent"].startswith("prev:")})
    for o in opps:
        rows = [r for r in ev if r["opponent"] == o]
        ax.plot([fnum(r["wall_s"]) / 60 for r in rows], [fnum(r["score"]) for r in rows], "o-", label="vs " + o)
    if opps:
        ax.set_ylim(-0.05, 1.05)
        ax.set_xlabel("minutes")
        ax.set_ylabel("score (wins + draws/2) / games")
        ax.legend()
        ax.grid(alpha=0.3)
    else:
        empty(ax, "evaluations")
    ax.set_title("win rate vs GNU Go and the random player")
    save(fig, os.path.join(figs, "winrate.png"))

    # ---- self-play throughput ----
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for w, rows in workers:
        ax.plot([fnum(r["wall_s"]) / 60 for r in rows], [fnum(r["games"]) for r in rows], label=w)
    if workers:
        ax.set_xlabel("minutes (worker process time)")
        ax.set_ylabel("games finished")
        ax.legend()
        ax.grid(alpha=0.3)
    else:
        empty(ax, "self-play rows")
    ax.set_title("self-play games")
    save(fig, os.path.join(figs, "selfplay.png"))

    # ---- report.md ----
    L = ["# rocks zero run: %s" % os.path.abspath(run), ""]
    if cfg:
        L += ["Configuration: %s, %sx%s, %s worker(s), %s games in flight, visits %s full / %s fast (p_full %s), "
              "train batch %s, lr %s, samples per insert %s, %s minutes." % (
                  cfg.get("model"), cfg.get("size"), cfg.get("size"), cfg.get("workers"), cfg.get("games_in_flight"),
                  cfg.get("visits"), cfg.get("fast_visits"), cfg.get("full_prob"), cfg.get("train_batch"),
                  cfg.get("lr"), cfg.get("samples_per_insert"), cfg.get("minutes")), ""]
    games = 0
    positions = 0
    L += ["## Self-play", ""]
    if workers:
        L += ["| worker | games | training positions | games/h | visits/s | resigned | resign-disabled | would resign | false positives | move cap |",
              "|---|---|---|---|---|---|---|---|---|---|"]
        for w, rows in workers:
            r = rows[-1]
            games += int(fnum(r["games"], 0))
            positions += int(fnum(r["positions"], 0))
            L.append("| %s | %s | %s | %.0f | %.0f | %s | %s | %s | %s | %s |" % (
                w, r["games"], r["positions"], fnum(r["games_per_hour"]), fnum(r["visits_per_s"]), r["resigned"],
                r["resign_disabled"], r["would_resign"], r["false_positives"], r["move_cap"]))
        L += ["", "Games/h and visits/s are per worker process over its lifetime (last restart). A false positive "
              "is a resign-disabled game that the side which would have resigned went on to win or draw.", ""]
    else:
        L += ["No self-play rows yet.", ""]
    L += ["## Training", ""]
    if train:
        a, b = train[0], train[-1]
        L += ["%s steps (%s samples); loss %.3f -> %.3f (policy %.3f -> %.3f, value %.3f -> %.3f); "
              "%s positions seen; last model %s." % (
                  b["step"], b["samples"], fnum(a["loss"]), fnum(b["loss"]), fnum(a["policy_loss"]),
                  fnum(b["policy_loss"]), fnum(a["value_loss"]), fnum(b["value_loss"]), b["positions_seen"], b["model"]), ""]
    else:
        L += ["No training rows yet.", ""]
    L += ["![loss](figures/loss.png)", "", "## Evaluation", ""]
    if ev:
        L += ["| minutes | model | opponent | games | W-D-L | score | Elo |", "|---|---|---|---|---|---|---|"]
        for r in ev:
            L.append("| %.1f | %s | %s | %s | %s-%s-%s | %.2f | %+.0f |" % (
                fnum(r["wall_s"]) / 60, r["model"], r["opponent"], r["games"], r["wins"], r["draws"], r["losses"],
                fnum(r["score"]), fnum(r["elo"])))
        last = sorted(elo_pts.items(), key=lambda kv: kv[1][0])[-1]
        L += ["", "Elo is anchored at the initial (random or --init) model = 0; each evaluated model plays the previous "
              "evaluated one and its Elo is the previous Elo + 400 log10(s / (1 - s)), s = (wins + draws/2 + 1/2) / "
              "(games + 1). Last: %s at %+.0f." % (last[0], last[1][1]), ""]
    else:
        L += ["No evaluations yet.", ""]
    L += ["![Elo](figures/elo.png)", "", "![win rate](figures/winrate.png)", "", "![self-play](figures/selfplay.png)", ""]
    tmp = os.path.join(run, "report.md.tmp")
    with open(tmp, "w") as f:
        f.write("\n".join(L))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, os.path.join(run, "report.md"))
    print("report: %s (%d games, %d training positions, %d training rows, %d evaluation rows)" % (
        os.path.join(run, "report.md"), games, positions, len(train), len(ev)))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: zero_report.py RUN\n")
        sys.exit(2)
    if not os.path.isdir(sys.argv[1]):
        sys.stderr.write("zero_report.py: %s is not a folder\n" % sys.argv[1])
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
