"""gtpclient.py — what the tests/play scripts share: a GTP client over a `rocks gtp` process, a
referee for whole games, and the tiny trained network fixture.

The fixture (make_net): `rocks data gnugo` games + `rocks train` of a small GoResNet, into a
folder that later tests reuse (CTest runs tests/play/make_net.py as a fixture setup); the file
names carry the settings, so a changed recipe trains anew.
"""
import os
import pathlib
import queue
import shutil
import re
import subprocess
import threading
import time

VERTEX = re.compile(r"^(pass|resign|[A-HJ-T](1[0-9]|[1-9]))$", re.IGNORECASE)


class Engine:
    """A `rocks gtp ...` process. Lines of stdout go through a queue (reads with timeouts)."""

    def __init__(self, argv, stderr=subprocess.DEVNULL):
        self.argv = list(argv)
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                                  text=True, bufsize=1)
        self.q = queue.Queue()
        self.t = threading.Thread(target=self._pump, daemon=True)
        self.t.start()

    def _pump(self):
        for line in self.p.stdout:
            self.q.put(line.rstrip("\n"))
        self.q.put(None)

    def line(self, timeout=60):
        """The next output line (None at EOF); raises queue.Empty after timeout seconds."""
        return self.q.get(timeout=timeout)

    def send(self, text):
        self.p.stdin.write(text + "\n")
        self.p.stdin.flush()

    def response(self, timeout=120):
        """Lines of one response up to its empty line; the first starts with '=' or '?'."""
        lines = []
        while True:
            ln = self.line(timeout)
            if ln is None:
                raise RuntimeError(f"{self.argv[0]} exited; got {lines}")
            if ln == "" and lines:
                return lines
            if ln != "" or lines:
                lines.append(ln)

    def cmd(self, text, timeout=120):
        """Sends a command; returns the result text (after '= '). Raises on '?'."""
        self.send(text)
        lines = self.response(timeout)
        if not lines[0].startswith("="):
            raise RuntimeError(f"'{text}' failed: {lines}")
        first = lines[0][1:].lstrip("0123456789")
        return "\n".join([first[1:] if first.startswith(" ") else first] + lines[1:])

    def close(self):
        try:
            self.send("quit")
            self.p.wait(timeout=30)
        except Exception:
            self.p.kill()
            self.p.wait()


def make_net(rocks, folder, games=100, steps=2000, model="b2c32", seed=7):
    """A small trained 9x9 network: `games` GNU Go games (level 1) + `steps` of rocks train,
    in folder (data-G/, run-NAME/, NAME.safetensors); reused when present."""
    folder = pathlib.Path(folder)
    name = f"net-{model}-g{games}-s{steps}"
    net = folder / (name + ".safetensors")
    if net.exists():
        return net
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    data = folder / f"data-{games}"
    subprocess.run([rocks, "data", "gnugo", "--out", str(data), "--games", str(games), "--size", "9",
                    "--jobs", "2", "--seed", str(seed), "--quiet"], check=True)
    run = folder / ("run-" + name)
    if run.exists():  # an interrupted earlier attempt
        shutil.rmtree(run)
    subprocess.run([rocks, "train", "--run", str(run), "--train", str(data), "--val", str(data),
                    "--model", model, "--batch", "64", "--steps", str(steps), "--lr", "0.003",
                    "--eval-every", str(steps), "--ckpt-every", str(steps), "--seed", str(seed), "--quiet"],
                   check=True)
    ckpt = run / "checkpoints" / f"step-{steps:08d}.safetensors"
    tmp = folder / (name + ".tmp")
    tmp.write_bytes(ckpt.read_bytes())
    os.replace(tmp, net)
    print(f"fixture: {games} GNU Go games + {steps} training steps of {model} in {time.time() - t0:.1f} s -> {net}")
    return net


def make_time_net(rocks, folder):
    """A b6c64 (the size that matters for timing) trained for 10 steps on the same games."""
    return make_net(rocks, folder, steps=10, model="b6c64")


def play_game(black, white, max_moves=400, on_genmove=None):
    """Plays black vs white (Engines, already set up) to two passes, a resignation or max_moves.
    Returns (winner 'B'/'W'/None, score text, moves). Scores with black's final_score."""
    engines = {"B": black, "W": white}
    moves, passes, color = [], 0, "B"
    while len(moves) < max_moves:
        me, other = engines[color], engines["W" if color == "B" else "B"]
        t0 = time.time()
        mv = me.cmd(f"genmove {color}")
        if on_genmove:
            on_genmove(color, mv, time.time() - t0)
        if not VERTEX.match(mv):
            raise RuntimeError(f"genmove {color} answered '{mv}'")
        moves.append((color, mv))
        if mv.lower() == "resign":
            return ("W" if color == "B" else "B"), f"{color} resigned", moves
        other.cmd(f"play {color} {mv}")
        passes = passes + 1 if mv.lower() == "pass" else 0
        if passes >= 2:
            break
        color = "W" if color == "B" else "B"
    score = black.cmd("final_score")
    winner = score[0] if score[:1] in ("B", "W") else None
    return winner, score, moves
