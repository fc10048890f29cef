"""SGF through rocks.Board: round trips, files, collections, partial replay, errors."""
import glob
import os
import random

import pytest

import rocks

from conftest import ROOT

FIXTURES = sorted(glob.glob(os.path.join(ROOT, "tests", "sgf", "*.sgf")))


def random_game(seed, size=9, setup=0):
    rng = random.Random(seed)
    b = rocks.Board(size, komi=rng.choice([0.5, 6.5, 7.5]), rules=rng.choice(["tromp-taylor", "chinese"]))
    for _ in range(setup):
        m = rng.randrange(size * size)
        if b.stones().flat[m] == 0:
            b.setup_stone(m, rocks.BLACK)
    for _ in range(rng.randrange(0, 3 * size * size)):
        legal = b.legal_moves()
        b.play(rng.choice(legal) if rng.random() < 0.9 else legal[-1])
        if b.game_over:
            break
    return b


def same_game(a, b):
    assert (a.size, a.komi, a.rules) == (b.size, b.komi, b.rules)
    assert a.history() == b.history()
    assert (a.stones() == b.stones()).all()
    assert (a.to_play, a.move_count, a.passes, a.captures, a.hash) == (b.to_play, b.move_count, b.passes,
                                                                        b.captures, b.hash)


@pytest.mark.parametrize("seed", range(40))
def test_round_trip_random_games(seed):
    b = random_game(seed, size=random.Random(seed).choice([5, 9, 13, 19]), setup=seed % 3)
    text = b.sgf(black="Alice", white="Bob")
    assert text.startswith("(;FF[4]") and "PB[Alice]" in text and "PW[Bob]" in text
    c = rocks.Board.from_sgf(text)
    same_game(b, c)
    assert c.sgf(black="Alice", white="Bob") == text
    if b.game_over:
        assert "RE[%s]" % b.result() in text


def test_save_and_load(tmp_path):
    b = random_game(7)
    p = tmp_path / "game.sgf"
    b.save_sgf(str(p), "x", "y")
    c = rocks.Board.load_sgf(str(p))
    same_game(b, c)
    c2 = rocks.Board.load_sgf(p)  # os.PathLike works too
    same_game(b, c2)
    with pytest.raises(OSError):
        rocks.Board.load_sgf(str(tmp_path / "missing.sgf"))
    with pytest.raises(OSError):
        b.save_sgf(str(tmp_path / "no" / "such" / "dir.sgf"))


def test_partial_replay_collection_and_rules():
    b = random_game(3)
    text = b.sgf()
    n = b.move_count
    for k in (1, 2, n // 2):
        c = rocks.Board.from_sgf(text, moves=k)
        assert c.move_count == k - 1
    coll = "(;GM[1]FF[4]SZ[9];B[ee])(;GM[1]FF[4]SZ[13]RU[Chinese];B[gg];W[dd])"
    assert rocks.Board.from_sgf(coll).size == 9
    g2 = rocks.Board.from_sgf(coll, game=1)
    assert g2.size == 13 and g2.move_count == 2 and g2.rules == "chinese"
    assert rocks.Board.from_sgf(coll, game=1, rules="tromp-taylor").rules == "tromp-taylor"
    with pytest.raises(ValueError):
        rocks.Board.from_sgf(coll, game=2)
    with pytest.raises(ValueError):
        rocks.Board.from_sgf(coll, rules="go")


@pytest.mark.parametrize("text", ["", "(", "(;SZ[9]", "(;SZ[9];B[zz])", "(;SZ[40])", ";B[aa]", "(;B[aa]\x00)",
                                  "(;SZ[9]KM[abc])", "x" * 10000])
def test_malformed_sgf_raises_value_error(text):
    with pytest.raises(ValueError):
        rocks.Board.from_sgf(text)


def test_illegal_move_in_record():
    with pytest.raises(rocks.IllegalMove):
        rocks.Board.from_sgf("(;SZ[9];B[ee];W[ee])")


@pytest.mark.parametrize("path", FIXTURES, ids=[os.path.basename(p) for p in FIXTURES])
def test_fixtures_round_trip(path):
    try:
        b = rocks.Board.load_sgf(path)
    except rocks.IllegalMove:
        # a record that ends in an illegal move: everything before it still loads
        b = rocks.Board.load_sgf(path, moves=2)
    c = rocks.Board.from_sgf(b.sgf())
    same_game(b, c)
