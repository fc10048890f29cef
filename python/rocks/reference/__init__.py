"""rocks.reference — pure-Python (no numpy) Go rules and PUCT MCTS following the C definitions.

Plain, readable Python: it exists to check the C engine differentially (same moves => same
boards, legality and scores; same evaluator, configuration and seed => the same search, visit
for visit) and to measure the C speedup (bench/speedup.py).

    from rocks import reference as R
    b = R.Board(9); b.play("E5"); b.legal_moves(); b.score()
    m = R.MCTS("uniform"); m.search(b, 800); m.visit_counts()

The API mirrors rocks.Board / rocks.MCTS (moves are policy indices y*N + x, pass N*N, and the
same other move forms), with nested lists where the binding returns numpy arrays. See board.py
and mcts.py for the definitions.
"""

from .board import (BLACK, EMPTY, OFFBOARD, PASS, WHITE, Board, IllegalMove, parse_color,
                    parse_rules, random_playout)
from .mcts import MCTS, GoGame, Rng

__all__ = ["BLACK", "EMPTY", "OFFBOARD", "PASS", "WHITE", "Board", "GoGame", "IllegalMove", "MCTS",
           "Rng", "parse_color", "parse_rules", "random_playout"]
