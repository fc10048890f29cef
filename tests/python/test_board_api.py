"""rocks.Board: the binding's API, conventions and error handling."""
import copy
import pickle

import numpy as np
import pytest

import rocks


def test_module_basics():
    assert rocks.__version__
    assert rocks.BLACK == 1 and rocks.WHITE == 2 and rocks.EMPTY == 0
    assert rocks.NUM_PLANES == 4
    assert issubclass(rocks.IllegalMove, ValueError)
    assert rocks.Board.__doc__ and rocks.Board.play.__doc__ and rocks.MCTS.__doc__


def test_construction_and_properties():
    b = rocks.Board()
    assert b.size == 19 and b.komi == 7.5 and b.rules == "tromp-taylor"
    b = rocks.Board(9, komi=6.5, rules="chinese")
    assert (b.size, b.komi, b.rules, b.to_play, b.move_count, b.passes) == (9, 6.5, "chinese", 1, 0, 0)
    assert b.last_move is None and b.ko is None and not b.game_over and b.captures == (0, 0)
    assert b.hash == 0 and b.history() == [] and b.history_ok
    b.komi = 0.5
    assert b.komi == 0.5
    assert "9x9" in repr(b)


@pytest.mark.parametrize("args,kwargs,exc", [
    ((1,), {}, ValueError), ((20,), {}, ValueError), ((9,), {"rules": "japanese"}, ValueError),
    ((9,), {"rules": 3}, TypeError), (("9",), {}, TypeError), ((9,), {"komi": float("nan")}, ValueError),
    ((9,), {"bogus": 1}, TypeError),
])
def test_bad_construction(args, kwargs, exc):
    with pytest.raises(exc):
        rocks.Board(*args, **kwargs)


def test_move_forms_and_coordinates():
    b = rocks.Board(9)
    # policy index y*N + x, x from the left, y from the top; GTP row = N - y
    assert b.index("A9") == 0 and b.index("J1") == 80 and b.index("pass") == 81 and b.index(None) == 81
    assert b.index((3, 2)) == 2 * 9 + 3 and b.vertex(2 * 9 + 3) == "D7" and b.xy("D7") == (3, 2)
    assert b.xy(81) is None and b.vertex(None) == "pass" and b.index(np.int64(5)) == 5
    assert b.index("j1") == 80  # case-insensitive, letter I skipped
    b.play("E5")
    assert b.stones()[4, 4] == rocks.BLACK and b.last_move == 40 and b.to_play == rocks.WHITE
    b.play((2, 2))
    assert b.stones()[2, 2] == rocks.WHITE
    b.play(0)
    assert b.stones()[0, 0] == rocks.BLACK
    b.play(81)  # pass by policy index
    b.pass_()
    assert b.game_over and b.passes == 2 and b.move_count == 5
    assert b.history() == [(1, 40, False), (2, 20, False), (1, 0, False), (2, 81, False), (1, 81, False)]


@pytest.mark.parametrize("move,exc", [
    (-1, ValueError), (82, ValueError), (10**30, ValueError), ((9, 0), ValueError), ((0, -1), ValueError),
    ((1, 2, 3), ValueError), ("Z9", ValueError), ("A10", ValueError), ("", ValueError), ("E5x", ValueError),
    ("I5", ValueError), (1.5, TypeError), ([1, 2], TypeError), (("a", 1), TypeError), (object(), TypeError),
])
def test_bad_moves_raise(move, exc):
    b = rocks.Board(9)
    with pytest.raises(exc):
        b.play(move)
    with pytest.raises(exc):
        b.is_legal(move)
    assert b.move_count == 0 and b.stones().sum() == 0


def test_colors():
    b = rocks.Board(9)
    b.play("C3", "w")
    assert b.stones()[6, 2] == rocks.WHITE and b.to_play == rocks.BLACK
    b.play("D3", color=rocks.WHITE)
    b.play("E3", "Black")
    for bad in ("x", 0, 3, -1, 1.0, []):
        with pytest.raises((ValueError, TypeError)):
            b.play("F3", bad)
    assert b.is_legal("F3", "w") and b.why_illegal("C3", 1) == "occupied"


def test_illegal_moves_and_reasons():
    b = rocks.Board(5)
    with pytest.raises(rocks.IllegalMove, match="occupied"):
        b.play("C3")
        b.play("C3")
    # simple ko on a 4x4 board:  . X O .  /  X . X O  /  . X O .  then white B3 takes C3
    b = rocks.Board(4)
    # . X O .
    # X . X O
    # . X O .
    for v, c in [("B4", 1), ("A3", 1), ("C3", 1), ("B2", 1), ("C4", 2), ("D3", 2), ("C2", 2)]:
        b.play(v, c)
    b.play("B3", 2)  # captures C3, leaving B3 with one liberty: a ko
    assert b.stones()[1, 2] == 0 and b.captures == (0, 1)
    assert b.ko == (b.index("C3"), rocks.BLACK)
    assert b.why_illegal("C3", rocks.BLACK) == "ko"
    with pytest.raises(rocks.IllegalMove, match="ko"):
        b.play("C3", rocks.BLACK)
    assert b.is_legal("C3", rocks.WHITE)
    # single-stone suicide is illegal under any rules
    b = rocks.Board(3)
    b.play("A2", 1)
    b.play("B3", 1)
    assert b.why_illegal("A3", rocks.WHITE) == "suicide"


def test_multi_stone_suicide_depends_on_rules():
    for rules, legal in (("tromp-taylor", True), ("chinese", False)):
        b = rocks.Board(3, rules=rules)
        # black holds column B; white A1 and A3, then white A2 takes the group's last liberty.
        for v, c in [("A1", 2), ("B1", 1), ("B2", 1), ("B3", 1), ("A3", 2)]:
            b.play(v, c)
        assert b.is_legal("A2", rocks.WHITE) is legal
        if legal:
            b.play("A2", rocks.WHITE)
            assert b.stones()[:, 0].tolist() == [0, 0, 0] and b.captures == (3, 0)


def test_undo_restores_everything():
    b = rocks.Board(9)
    states = []
    rng = np.random.default_rng(3)
    for _ in range(60):
        states.append((b.stones().copy(), b.hash, b.to_play, b.captures, b.move_count))
        moves = b.legal_moves()
        b.play(int(rng.choice(moves[:-1])) if len(moves) > 1 else moves[-1])
    for st in reversed(states):
        b.undo()
        assert (b.stones() == st[0]).all() and (b.hash, b.to_play, b.captures, b.move_count) == st[1:]
        assert b.check()
    with pytest.raises(RuntimeError, match="nothing to undo"):
        b.undo()


def test_legal_moves_mask_and_eye():
    b = rocks.Board(9)
    assert b.legal_moves() == list(range(82))
    mask = b.legal_mask()
    assert mask.dtype == np.bool_ and mask.shape == (82,) and mask.all()
    b.play("A9")
    assert 0 not in b.legal_moves() and not b.legal_mask()[0] and b.legal_mask().sum() == 81
    b = rocks.Board(5)
    for v in ["B1", "A2"]:
        b.play(v, 1)
    assert b.is_eye("A1", rocks.BLACK) and not b.is_eye("A1", rocks.WHITE) and not b.is_eye("pass")


def test_score_area_result_winner():
    b = rocks.Board(5, komi=0.5)
    for v in ["C1", "C2", "C3", "C4", "C5"]:
        b.play(v, 1)
    assert b.area() == (25, 0) and b.score() == 24.5 and b.result() == "B+24.5" and b.winner == rocks.BLACK
    b.play("A1", 2)
    assert b.area() == (15, 1) and b.score() == 13.5
    owner = b.area_owner()
    assert owner.dtype == np.int8 and owner[4, 0] == rocks.WHITE and owner[0, 4] == rocks.BLACK
    assert owner[0, 0] == rocks.EMPTY  # dame: reaches both colours
    e = rocks.Board(5, komi=0)
    assert e.score() == 0 and e.result() == "0" and e.winner == rocks.EMPTY


def test_planes_and_stones():
    b = rocks.Board(5)
    b.play("A5")  # black (0, 0)
    b.play("B5")  # white (1, 0)
    st = b.stones()
    assert st.dtype == np.int8 and st.shape == (5, 5) and st[0, 0] == 1 and st[0, 1] == 2
    p = b.planes()
    assert p.dtype == np.float32 and p.shape == (4, 5, 5) and p.flags["C_CONTIGUOUS"]
    # black to move: own = black
    assert p[0, 0, 0] == 1 and p[1, 0, 1] == 1 and p[2].sum() == 23 and (p[3] == 1).all()
    b.play("C5")
    p = b.planes()  # white to move: own = white
    assert p[0, 0, 1] == 1 and p[1, 0, 0] == 1 and p[1, 0, 2] == 1 and (p[3] == 0).all()
    assert (p[0] + p[1] + p[2] == 1).all()


def test_copy_is_independent():
    b = rocks.Board(9)
    b.play("E5")
    for c in (b.copy(), copy.copy(b), copy.deepcopy(b)):
        c.play("D4")
        assert b.move_count == 1 and c.move_count == 2 and c.history()[0] == (1, 40, False)
        c.undo()
        assert c.hash == b.hash


def test_setup_stones():
    b = rocks.Board(9)
    b.setup_stone("C3", rocks.BLACK)
    b.setup_stone("G7", "b")
    assert b.to_play == rocks.BLACK and b.move_count == 0 and b.stones().sum() == 2
    with pytest.raises(rocks.IllegalMove):
        b.setup_stone("C3", rocks.WHITE)
    with pytest.raises(ValueError):
        b.setup_stone("pass", rocks.WHITE)
    b.setup_stone("C3", 0)  # removal
    assert b.stones().sum() == 1 and b.history()[-1] == (0, b.index("C3"), True)
    b.undo()
    assert b.stones().sum() == 2


def test_str_is_the_c_diagram():
    b = rocks.Board(3)
    b.play("B2")
    s = str(b)
    assert s.splitlines()[0].split() == ["A", "B", "C"] and "(X)" in s and s.count("\n") == 5


def test_playout_fast_mode():
    b = rocks.Board(9)
    c = b.copy()
    n = c.playout(seed=5)
    assert n > 0 and (c.game_over or n == 243) and not c.history_ok
    c2 = b.copy()
    assert c2.playout(seed=5) == n and (c2.stones() == c.stones()).all()  # same seed, same game
    with pytest.raises(RuntimeError):
        c.undo()
    with pytest.raises(RuntimeError):
        c.history()
    r = rocks.random_playouts(200, size=9, seed=2)
    assert r["playouts"] == 200 and r["moves"] > 200 * 50 and 0 <= r["black_wins"] <= 200 and r["seconds"] >= 0
    with pytest.raises(ValueError):
        rocks.random_playouts(-1)
    with pytest.raises(ValueError):
        rocks.random_playouts(1, size=1)


def test_board_is_not_picklable_by_accident():
    # No silent pickling of a C pointer: pickling must fail cleanly (use sgf() to serialise).
    with pytest.raises(Exception):
        pickle.dumps(rocks.Board(9))
