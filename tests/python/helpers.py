"""Shared helpers for the Python tests: a deterministic evaluator usable by both searches."""
import math

import numpy as np


def det_eval_one(stones, to_play, n):
    """Deterministic (priors, value) of a position from its stones (N x N of 0/1/2) and the
    player to move: priors vary per action and position, value depends on the stone balance."""
    a = n * n + 1
    h = 0
    own = opp = 0
    for y in range(n):
        row = stones[y]
        for x in range(n):
            c = row[x]
            h = (h * 31 + c) % 1000003
            if c == to_play:
                own += 1
            elif c:
                opp += 1
    pri = [((i * 7919 + h) % 97 + 1) / 97.0 for i in range(a)]
    v = math.tanh((own - opp) / 5.0 + ((h % 11) - 5) / 20.0)
    return pri, v


def c_planes_eval(planes):
    """rocks.MCTS evaluator (inputs='planes'): rebuilds the stones from planes 0, 1 and 3."""
    pri, val = [], []
    n = planes.shape[2]
    for p in planes:
        to_play = 1 if p[3, 0, 0] > 0.5 else 2
        st = (p[0] * to_play + p[1] * (3 - to_play)).astype(int).tolist()
        a, v = det_eval_one(st, to_play, n)
        pri.append(a)
        val.append(v)
    return np.array(pri, np.float32), np.array(val, np.float32)


def c_boards_eval(boards):
    """rocks.MCTS evaluator (inputs='boards')."""
    pri, val = [], []
    for b in boards:
        a, v = det_eval_one(b.stones().tolist(), b.to_play, b.size)
        pri.append(a)
        val.append(v)
    return pri, val


def ref_eval(boards):
    """rocks.reference.mcts.MCTS evaluator (reference Boards)."""
    pri, val = [], []
    for b in boards:
        a, v = det_eval_one(b.stones(), b.to_play, b.size)
        pri.append(a)
        val.append(v)
    return pri, val
