"""The README's Python usage works in a fresh /usr/bin/python3 from the build tree."""
import os
import subprocess
import sys

import pytest

import rocks

from conftest import ROOT

ONE_LINER = "import rocks; b = rocks.Board(9); b.play('E5'); print(b, b.legal_moves()[:5])"

SNIPPET = r'''
import numpy as np, rocks

b = rocks.Board(9, komi=7.5, rules="tromp-taylor")
b.play("E5")
b.play((2, 2))
assert b.legal_moves()[-1] == 81
assert b.planes().shape == (4, 9, 9)
print(b.score(), b.result())
b.undo()
text = b.sgf(); b2 = rocks.Board.from_sgf(text)
assert b2.history() == b.history()

m = rocks.MCTS("uniform")
m.search(b, 800)
print(m.visit_counts().sum(), m.policy_target().sum(), m.select_move(temperature=0))
m.advance(m.select_move())

def net(planes):
    B = len(planes)
    return np.full((B, 82), 1 / 82, np.float32), np.zeros(B, np.float32)
m = rocks.MCTS(net, batch_size=16)
m.search(b, 100)
print("ok")
'''


def env():
    e = dict(os.environ)
    here = os.path.dirname(os.path.dirname(os.path.abspath(rocks.__file__)))
    e["PYTHONPATH"] = here + os.pathsep + e.get("PYTHONPATH", "")
    return e


def test_one_liner_from_a_fresh_interpreter():
    out = subprocess.run(["/usr/bin/python3", "-c", ONE_LINER], env=env(), capture_output=True, text=True,
                         timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "(X)" in out.stdout and "[0, 1, 2, 3, 4]" in out.stdout


def test_usage_snippet():
    out = subprocess.run(["/usr/bin/python3", "-c", SNIPPET], env=env(), capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("ok")


def test_version_matches_cli():
    exe = os.environ.get("ROCKS_BIN")
    if not exe or not os.path.exists(exe):
        pytest.skip("ROCKS_BIN not set (run through ctest)")
    out = subprocess.run([exe, "version"], capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "rocks " + rocks.__version__


def test_package_layout():
    assert sys.modules["rocks"].__file__.endswith(os.path.join("rocks", "__init__.py"))
    assert rocks._rocks.__file__.endswith(".so")
