"""rocks.heatmap — draws the policy/value of every position of a game (`rocks heatmap`).

    python3 -m rocks.heatmap DIR

reads DIR/positions.json (written by `rocks heatmap GAME.sgf --model CKPT --out DIR`, see
docs/match.md) and writes DIR/move-%03d.png for every position (the board on wood, the policy
softmax over the legal moves as a heat map with the larger probabilities written on the points,
a pass bar, the move played next ringed, the last move dotted, the value in the title) and
DIR/contact-sheet.png (the whole game as a grid of small boards). Pure matplotlib (Agg); needs
no part of the C extension.
"""
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import LinearSegmentedColormap, Normalize  # noqa: E402
from matplotlib.patches import Circle, Rectangle  # noqa: E402

WOOD = "#dcb35c"
WOOD_EDGE = "#b58a3c"
LETTERS = "ABCDEFGHJKLMNOPQRST"  # GTP columns: no I
# light yellow -> orange -> red -> purple: never black or white, so heat is not mistaken for stones
CMAP = LinearSegmentedColormap.from_list("rocks_heat", ["#fff2a8", "#ffb21e", "#f5511e", "#c8104e", "#7a1fa2"])


def star_points(n):
    if n < 7:
        return []
    e = 2 if n < 13 else 3
    pts = [e, n - 1 - e]
    if n % 2 == 1 and n >= 9:
        pts.append(n // 2)
    stars = [(x, y) for x in pts for y in pts]
    if n % 2 == 1 and n < 13:  # 9x9: the four corners' points and tengen only
        stars = [(x, y) for x in pts[:2] for y in pts[:2]] + [(n // 2, n // 2)]
    return stars


def vertex_xy(v, n):
    """GTP vertex -> (x, y) with y = 0 the top row; None for pass or ''."""
    if not v or v.lower() == "pass":
        return None
    x = LETTERS.index(v[0].upper())
    return x, n - int(v[1:])


def draw_board(ax, pos, n, small=False):
    """Board, heat map, stones and marks of one position into ax (data units = points)."""
    pol = pos["policy"]
    pmax = max(pol) or 1.0
    ax.set_xlim(-0.5 - (0 if small else 0.6), n - 0.5 + (0 if small else 0.6))
    ax.set_ylim(n - 0.5 + (0 if small else 0.6), -0.5 - (0 if small else 0.6))
    ax.set_aspect("equal")
    ax.axis("off")
    pad = 0.5 if small else 1.1
    ax.add_patch(Rectangle((-pad, -pad), n - 1 + 2 * pad, n - 1 + 2 * pad, facecolor=WOOD,
                           edgecolor=WOOD_EDGE, linewidth=0.5 if small else 1.5, zorder=0))
    lw = 0.3 if small else 0.9
    for i in range(n):
        ax.plot([0, n - 1], [i, i], color="black", linewidth=lw, zorder=2)
        ax.plot([i, i], [0, n - 1], color="black", linewidth=lw, zorder=2)
    norm = Normalize(0, pmax)
    stones = pos["stones"]
    for x, y in star_points(n):
        if small or pol[y * n + x] < 0.01:  # (a probability is written there otherwise)
            ax.add_patch(Circle((x, y), 0.09, color="black", zorder=2.5))
    for y in range(n):
        for x in range(n):
            p = pol[y * n + x]
            if p <= 0 or stones[y * n + x] != ".":
                continue
            frac = p / pmax
            if frac < 0.02:
                continue
            ax.add_patch(Rectangle((x - 0.5, y - 0.5), 1, 1, facecolor=CMAP(norm(p)),
                                   alpha=0.15 + 0.8 * math.sqrt(frac), linewidth=0, zorder=1))
            if not small and p >= 0.01:
                ax.text(x, y, f"{100 * p:.0f}" if p >= 0.095 else f"{100 * p:.1f}", ha="center", va="center",
                        fontsize=7 if n <= 9 else 5, color="white" if frac > 0.45 else "black", zorder=3)
    r = 0.47
    for y in range(n):
        for x in range(n):
            s = stones[y * n + x]
            if s == "X":
                ax.add_patch(Circle((x, y), r, facecolor="#111111", edgecolor="black", linewidth=0.4, zorder=4))
            elif s == "O":
                ax.add_patch(Circle((x, y), r, facecolor="#f6f6f2", edgecolor="#333333", linewidth=0.6, zorder=4))
    last = vertex_xy(pos.get("last_move"), n)
    if last:
        x, y = last
        ax.add_patch(Circle((x, y), 0.14, color="#e8322b", zorder=5))
    nxt = vertex_xy(pos.get("next_move"), n)
    if nxt:
        x, y = nxt
        col = "#1e90ff"
        ax.add_patch(Circle((x, y), 0.44, fill=False, edgecolor=col, linewidth=1.2 if small else 2.4, zorder=6))
    if not small:
        for i in range(n):
            for yy, va in ((-1.0, "center"), (n, "center")):
                ax.text(i, yy, LETTERS[i], ha="center", va=va, fontsize=8, color="#3b2a10")
            for xx in (-1.0, n):
                ax.text(xx, i, str(n - i), ha="center", va="center", fontsize=8, color="#3b2a10")
    return norm


def title_of(pos, data):
    side = "Black" if pos["to_play"] == "B" else "White"
    k = pos["move_number"]
    nxt = pos.get("next_move")
    played = f"{'B' if pos.get('next_color') == 'B' else 'W'} {nxt}" if nxt else "game over"
    return (f"Move {k}: {side} to play   value {pos['value']:+.3f} for {side.lower()}   "
            f"Black winrate {100 * pos['black_winrate']:.1f}%\nnext: {played}   "
            f"policy top {100 * max(pos['policy']):.1f}%   ({data.get('architecture', '')}, "
            f"{os.path.basename(data.get('model', ''))})")


def render_position(pos, data, path):
    n = data["size"]
    fig = plt.figure(figsize=(6.4, 7.4), dpi=110)
    ax = fig.add_axes([0.04, 0.17, 0.92, 0.72])
    norm = draw_board(ax, pos, n)
    fig.suptitle(title_of(pos, data), fontsize=9.5, y=0.975)
    # pass bar
    pb = fig.add_axes([0.12, 0.085, 0.62, 0.035])
    pp = pos["policy"][n * n]
    pb.set_xlim(0, 1)
    pb.set_ylim(0, 1)
    pb.add_patch(Rectangle((0, 0), 1, 1, facecolor="#eeeeee", edgecolor="#888888"))
    pb.add_patch(Rectangle((0, 0), pp / max(max(pos["policy"]), 1e-9), 1, facecolor=CMAP(norm(pp)), alpha=0.9))
    if pos.get("next_move") == "pass":
        pb.add_patch(Rectangle((0, 0), 1, 1, fill=False, edgecolor="#1e90ff", linewidth=2.4))
    pb.set_xticks([])
    pb.set_yticks([])
    pb.text(-0.02, 0.5, "pass", ha="right", va="center", fontsize=9)
    pb.text(1.02, 0.5, f"{100 * pp:.1f}%", ha="left", va="center", fontsize=9)
    # colour scale
    cb = fig.add_axes([0.12, 0.04, 0.62, 0.018])
    sm = plt.cm.ScalarMappable(norm=Normalize(0, 100 * max(pos["policy"])), cmap=CMAP)
    c = fig.colorbar(sm, cax=cb, orientation="horizontal")
    c.ax.tick_params(labelsize=7)
    c.set_label("policy (%), legal moves only", fontsize=7, labelpad=1)
    fig.text(0.965, 0.055, "○ next move\n● last move", fontsize=7, ha="right", va="center", color="#333333")
    fig.savefig(path)
    plt.close(fig)


def render_sheet(positions, data, path):
    n = data["size"]
    k = len(positions)
    cols = min(k, max(4, math.ceil(math.sqrt(k * 1.3))))
    rows = math.ceil(k / cols)
    cell = 1.5
    fig, axes = plt.subplots(rows, cols, figsize=(cols * cell, rows * cell * 1.12 + 0.6), dpi=100, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= k:
            ax.axis("off")
            continue
        pos = positions[i]
        draw_board(ax, pos, n, small=True)
        nxt = pos.get("next_move") or "end"
        ax.set_title(f"{pos['move_number']}: {nxt}  B {100 * pos['black_winrate']:.0f}%", fontsize=7, pad=2)
    fig.suptitle(f"{data.get('black') or 'Black'} (B) vs {data.get('white') or 'White'} (W)   {data.get('result', '')}"
                 f"   {n}x{n} komi {data.get('komi')}   model {os.path.basename(data.get('model', ''))}", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.97 if rows > 2 else 0.93))
    fig.savefig(path)
    plt.close(fig)


def _render_one(args):
    pos, data, d = args
    out = os.path.join(d, f"move-{pos['move_number']:03d}.png")
    tmp = out + ".tmp.png"
    render_position(pos, data, tmp)
    os.replace(tmp, out)


def main(argv):
    if len(argv) != 2:
        print("usage: python3 -m rocks.heatmap DIR   (DIR/positions.json from `rocks heatmap`)", file=sys.stderr)
        return 2
    d = argv[1]
    try:
        with open(os.path.join(d, "positions.json")) as f:
            data = json.load(f)
        positions = data["positions"]
        n = data["size"]
        for p in positions:
            if len(p["policy"]) != n * n + 1 or len(p["stones"]) != n * n:
                raise ValueError(f"position {p.get('move_number')}: policy/stones do not match size {n}")
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"rocks.heatmap: {d}/positions.json: {e}", file=sys.stderr)
        return 1
    tty = sys.stderr.isatty()
    jobs = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))
    work = [(pos, data, d) for pos in positions]
    if jobs > 1 and len(work) > 4:
        import multiprocessing
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for i, _ in enumerate(pool.imap_unordered(_render_one, work, chunksize=2)):
                if tty:
                    print(f"\rrocks.heatmap: {i + 1}/{len(work)} positions", end="", file=sys.stderr, flush=True)
    else:
        for i, w in enumerate(work):
            _render_one(w)
            if tty:
                print(f"\rrocks.heatmap: {i + 1}/{len(work)} positions", end="", file=sys.stderr, flush=True)
    sheet = os.path.join(d, "contact-sheet.png")
    render_sheet(positions, data, sheet + ".tmp.png")
    os.replace(sheet + ".tmp.png", sheet)
    print(("\n" if tty else "") + f"rocks.heatmap: {len(positions)} positions -> {d}/move-*.png, {sheet}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
