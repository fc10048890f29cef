"""Differential tests: the C engine (rocks.Board) against the pure-Python rules (rocks.reference).

Same move sequences => same boards (colours, hash, captures, player to move, ko point) after every
move, the same verdict (and reason) on a random probe move every turn, the same full legal move
sets at a subset of positions, and the same scores at the end. 2000 random 9x9 games, plus small
boards (2x2..5x5, both rule sets) where ko, superko and suicide happen all the time, plus undo and
setup stones.
"""
import random

import pytest

import rocks
from rocks import reference as R


def same_position(c, r):
    assert c.stones().tolist() == r.stones()
    assert c.hash == r.hash
    assert c.to_play == r.to_play
    assert c.captures == r.captures and c.last_move == r.last_move
    assert c.move_count == r.move_count and c.passes == r.passes and c.game_over == r.game_over
    assert c.ko == r.ko


def same_score(c, r):
    assert c.score() == r.score()
    assert c.area() == r.area()
    assert c.result() == r.result()
    assert c.winner == r.winner


def play_random_game(seed, size, rules, full_every, komi=7.5):
    """One random game played on both engines; returns the number of moves."""
    rng = random.Random(seed)
    c = rocks.Board(size, komi=komi, rules=rules)
    r = R.Board(size, komi=komi, rules=rules)
    a = size * size
    step = 0
    for step in range(3 * a):
        probe = rng.randrange(a + 1)
        color = rng.choice((1, 2)) if rng.random() < 0.2 else None
        assert c.why_illegal(probe, color) == r.why_illegal(probe, color), (seed, step, probe)
        legal = c.legal_moves()
        if step % full_every == 0:
            assert legal == r.legal_moves(), (seed, step)
        # random non-eye-filling legal move (pass when none), as in playouts but with superko
        cand = [m for m in legal[:-1] if not c.is_eye(m)]
        m = rng.choice(cand) if cand else a
        assert r.is_legal(m), (seed, step, m)
        c.play(m)
        r.play(m)
        same_position(c, r)
        if c.game_over:
            break
    same_score(c, r)
    return step + 1


def test_2000_random_9x9_games():
    moves = 0
    for g in range(2000):
        rules = "chinese" if g % 4 == 3 else "tromp-taylor"
        moves += play_random_game(10_000 + g, 9, rules, full_every=10, komi=7.5 if g % 2 else 6.5)
    assert moves > 2000 * 50


@pytest.mark.parametrize("size", [2, 3, 4, 5])
def test_small_boards_every_reason(size):
    """Random games on tiny boards, full legality (with reasons) of every point every move,
    random undos. Ko, superko and both kinds of suicide are frequent here."""
    seen = set()
    for g in range(150):
        rng = random.Random(size * 1000 + g)
        rules = rng.choice(["tromp-taylor", "chinese"])
        c = rocks.Board(size, komi=rng.choice([0, 0.5, 2.5]), rules=rules)
        r = R.Board(size, komi=c.komi, rules=rules)
        for step in range(4 * size * size):
            for color in (1, 2):
                for m in range(size * size + 1):
                    w = c.why_illegal(m, color)
                    assert w == r.why_illegal(m, color), (size, g, step, m, color)
                    seen.add(w)
            assert c.legal_moves() == r.legal_moves()
            m = rng.choice(c.legal_moves())
            c.play(m)
            r.play(m)
            same_position(c, r)
            if rng.random() < 0.15:
                c.undo()
                r.undo()
                same_position(c, r)
                c.play(m)
                r.play(m)
            if c.game_over:
                break
        same_score(c, r)
    if size >= 3:
        assert {"occupied", "suicide", "ko"} <= seen
    if size >= 4:
        assert "superko" in seen


def test_setup_stones_and_superko_history():
    """Setup sequences: intermediate colourings do not count for superko, the final one does."""
    for seed in range(60):
        rng = random.Random(seed)
        size = rng.choice([3, 4, 5, 9])
        c = rocks.Board(size)
        r = R.Board(size)
        for step in range(3 * size * size):
            if rng.random() < 0.15:
                m = rng.randrange(size * size)
                color = rng.choice([0, 1, 2])
                cok = rok = True
                try:
                    c.setup_stone(m, color)
                except ValueError:
                    cok = False
                try:
                    r.setup_stone(m, color)
                except ValueError:
                    rok = False
                assert cok == rok
            else:
                legal = c.legal_moves()
                assert legal == r.legal_moves(), (seed, step)
                m = rng.choice(legal)
                c.play(m)
                r.play(m)
            same_position(c, r)
            if c.game_over:
                break
        while c.history():
            c.undo()
            r.undo()
            same_position(c, r)


def test_eye_definition_matches():
    for seed in range(40):
        rng = random.Random(seed)
        c = rocks.Board(9)
        r = R.Board(9)
        for _ in range(rng.randrange(20, 120)):
            m = rng.choice(c.legal_moves())
            c.play(m)
            r.play(m)
        for m in range(81):
            for color in (1, 2):
                assert c.is_eye(m, color) == r.is_eye(m, color)


def test_reference_api_mirrors_binding():
    r = R.Board(9, komi=7.5)
    assert r.index("E5") == 40 and r.xy("D7") == (3, 2) and r.xy("pass") is None
    r.play("E5")
    r.play((2, 2))
    r.play(0)
    with pytest.raises(R.IllegalMove, match="occupied"):
        r.play("E5")
    with pytest.raises(ValueError):
        r.play(82)
    with pytest.raises(ValueError):
        R.Board(1)
    assert r.vertex(40) == "E5" and r.history()[:2] == [(1, 40, False), (2, 20, False)]
    p = r.planes()
    assert len(p) == 4 and len(p[0]) == 9 and p[3][0][0] == 0.0  # white to move
    assert r.captures == (0, 0) and r.last_move == 0 and r.ko is None
    c = rocks.Board(9)
    for m in (40, 20, 0):
        c.play(m)
    assert str(c) == str(r)
    assert c.area_owner().tolist() == r.area_owner() and c.legal_mask().tolist() == r.legal_mask()
    rr = r.scratch_copy()
    n = rr.playout(random.Random(1))
    assert n > 0 and not rr.history_ok
