"""pytest setup for the research-harness tests (tests/exp).

CTest runs them with PYTHONPATH=<build>/python and ROCKS_BIN=<build>/rocks. By hand:
    PYTHONPATH=build/python /usr/bin/python3 -m pytest -q tests/exp
(falls back to <repo>/build/python and <repo>/build/rocks). The `dataset` fixture makes its own
tiny dataset: random 9x9 games from the rocks extension, written as SGF, `rocks data import`ed.
"""
import os
import random
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_PY = os.path.join(ROOT, "build", "python")

try:
    import rocks.exp  # noqa: F401
except ImportError:
    sys.path.insert(0, BUILD_PY)
    import rocks.exp  # noqa: F401

if not os.environ.get("ROCKS_BIN"):
    os.environ["ROCKS_BIN"] = os.path.join(ROOT, "build", "rocks")
PY_DIR = os.path.dirname(os.path.dirname(os.path.abspath(rocks.exp.__file__)))


@pytest.fixture(scope="session")
def rocks_bin():
    b = os.environ["ROCKS_BIN"]
    assert os.access(b, os.X_OK), "no rocks binary at %s (make build)" % b
    return b


@pytest.fixture
def env(rocks_bin):
    """Environment for subprocesses: PYTHONPATH = the rocks package used by these tests."""
    e = dict(os.environ)
    e["PYTHONPATH"] = PY_DIR + (":" + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    e["ROCKS_BIN"] = rocks_bin
    return e


def random_games_sgf(folder, games, size=9, seed=1):
    import rocks as R
    rng = random.Random(seed)
    os.makedirs(folder, exist_ok=True)
    for g in range(games):
        b = R.Board(size, komi=7.5)
        for _ in range(size * size * 2):
            if b.game_over:
                break
            moves = [m for m in b.legal_moves() if m != size * size and not b.is_eye(m)]
            b.play(rng.choice(moves) if moves else size * size)
        while not b.game_over:
            b.play(size * size)
        with open(os.path.join(folder, "game-%03d.sgf" % g), "w") as f:
            f.write(b.sgf())


@pytest.fixture(scope="session")
def dataset(tmp_path_factory, rocks_bin):
    """A tiny 9x9 dataset folder (a few hundred positions)."""
    d = tmp_path_factory.mktemp("ds")
    random_games_sgf(str(d / "sgf"), 6)
    subprocess.run([rocks_bin, "data", "import", "--sgf", str(d / "sgf"), "--out", str(d / "data"), "--quiet"],
                   check=True, capture_output=True)
    return str(d / "data")
