"""rocks — AlphaGo from scratch in C, from Python.

    import rocks
    b = rocks.Board(9, komi=7.5)            # rules='tromp-taylor' (default) or 'chinese'
    b.play("E5"); b.play((2, 2)); b.play(81) # GTP vertex, (x, y), policy index (81 = pass on 9x9)
    b.legal_moves(), b.planes(), b.score()
    m = rocks.MCTS("uniform"); m.search(b, 800); m.select_move()

Conventions (the C library's, src/go/board.h): x counts columns from the left, y rows from the
TOP; the policy index of a point is y*N + x and of a pass N*N; colours are 1 = black, 2 = white
(0 = empty in arrays). Errors raise ValueError (IllegalMove for illegal moves), TypeError,
RuntimeError, OSError or MemoryError with the library's message.

rocks.Board and rocks.MCTS are the C engine (the extension rocks._rocks); rocks.reference is a
pure-Python twin of the rules and of the search, for differential tests and speed comparisons.
"""

from ._rocks import (BLACK, EMPTY, MAX_SIZE, MIN_SIZE, NUM_PLANES, WHITE, MCTS, Board,
                     IllegalMove, __version__, random_playouts)

__all__ = ["BLACK", "EMPTY", "MAX_SIZE", "MIN_SIZE", "NUM_PLANES", "WHITE", "Board",
           "IllegalMove", "MCTS", "__version__", "random_playouts", "reference"]


def __getattr__(name):
    # rocks.reference is imported on first use (pure Python; not needed by the engine).
    if name == "reference":
        import importlib

        mod = importlib.import_module(".reference", __name__)
        globals()["reference"] = mod
        return mod
    raise AttributeError("module 'rocks' has no attribute %r" % name)
