"""rocks.MCTS: API, evaluators, GIL release, and C vs pure-Python search equality."""
import random
import threading
import time

import numpy as np
import pytest

import rocks
from rocks import reference as R
from rocks.reference.mcts import MCTS as RefMCTS

from helpers import c_boards_eval, c_planes_eval, ref_eval


def random_position(seed, size, moves):
    rng = random.Random(seed)
    c = rocks.Board(size)
    r = R.Board(size)
    for _ in range(moves):
        legal = c.legal_moves()
        m = rng.choice(legal[:-1]) if len(legal) > 1 else legal[-1]
        c.play(m)
        r.play(m)
        if c.game_over:
            break
    return c, r


# ------------------------------------------------------------------------------ API

def test_uniform_search_basics():
    b = rocks.Board(9)
    m = rocks.MCTS("uniform")
    assert m.size is None and m.root is None and m.root_visits == 0 and m.evaluator == "uniform"
    m.search(b, 200)
    assert m.size == 9 and m.root_visits == 200
    v = m.visit_counts()
    assert v.dtype == np.int32 and v.shape == (82,) and v.sum() == 199  # the root's own visit
    pi = m.policy_target()
    assert pi.dtype == np.float32 and abs(float(pi.sum()) - 1) < 1e-5
    q, p = m.q_values(), m.priors()
    assert q.dtype == np.float64 and p.shape == (82,) and abs(p.sum() - 1) < 1e-5
    assert m.select_move() == int(np.argmax(v))  # ties go to the lowest index, like argmax
    assert m.pv(3)[0] == m.select_move()
    assert m.root.move_count == 0 and isinstance(m.root, rocks.Board)
    st = m.stats
    assert st["bytes_per_node"] == 32 and st["nodes_used"] > 200 and st["simulations"] == 200
    assert m.config["c_init"] == 1.25 and m.config["batch_size"] == 1
    assert not m.should_resign()


def test_tree_reuse_and_advance():
    b = rocks.Board(9)
    m = rocks.MCTS("uniform", 9)
    m.search(b, 300)
    m.search(b, 100)  # same position: the tree is kept
    assert m.root_visits == 400
    a = m.select_move()
    kept = int(m.visit_counts()[a])
    m.advance(a)
    b.play(a)
    assert m.root_visits == kept and m.root.hash == b.hash
    m.search(b, 50)
    assert m.root_visits == kept + 50
    with pytest.raises(rocks.IllegalMove):
        m.advance(a)  # occupied now
    other = rocks.Board(9)
    other.play("A1")
    m.search(other, 10)  # another position: a fresh tree
    assert m.root_visits == 10
    m.clear()
    assert m.root_visits == 0


def test_rollout_evaluator_deterministic():
    b = rocks.Board(9)
    counts = []
    for _ in range(2):
        m = rocks.MCTS("rollout", seed=3)
        m.search(b, 150)
        counts.append(m.visit_counts().tolist())
        assert -1 <= m.root_value <= 1
    assert counts[0] == counts[1]


def test_python_evaluator_inputs_and_batches():
    b, _ = random_position(1, 9, 10)
    calls = []

    def ev(planes, mask):
        calls.append(planes.shape[0])
        assert planes.dtype == np.float32 and planes.shape[1:] == (4, 9, 9)
        assert mask.dtype == np.bool_ and mask.shape == (planes.shape[0], 82) and mask[:, 81].all()
        return np.ones((planes.shape[0], 82)), np.zeros(planes.shape[0])

    m = rocks.MCTS(ev, inputs="planes+mask", batch_size=8)
    m.search(b, 100)
    assert sum(calls) == m.stats["evaluations"] and max(calls) <= 8 and m.root_visits == 100
    # the planes a Python evaluator sees are Board.planes() of the evaluated position
    seen = []
    m2 = rocks.MCTS(lambda p: (seen.append(p.copy()) or np.ones((1, 82)), [0.0]))
    m2.search(b, 1)
    assert (seen[0][0] == b.planes()).all()
    # boards input
    m3 = rocks.MCTS(c_boards_eval, inputs="boards", batch_size=4)
    m3.search(b, 50)
    assert m3.root_visits == 50 and m3.inputs == "boards"


def test_evaluator_errors_are_raised_and_search_recovers():
    b = rocks.Board(9)

    class Boom(Exception):
        pass

    def bad(planes):
        raise Boom("no")

    m = rocks.MCTS(bad)
    with pytest.raises(Boom):
        m.search(b, 10)
    for ret, exc in [((np.ones((1, 81)), [0.0]), ValueError), ((np.ones((1, 82)), [0.0, 0.0]), ValueError),
                     (None, TypeError), ((np.ones((1, 82)),), TypeError), ((np.ones((1, 82)), [np.nan]), ValueError),
                     (("x", [0.0]), ValueError)]:
        m = rocks.MCTS(lambda p, ret=ret: ret)
        with pytest.raises(exc):
            m.search(b, 5)
    # a failing search leaves a usable tree: switch to a good evaluator through a new object
    good = rocks.MCTS(lambda p: (np.ones((p.shape[0], 82)), np.zeros(p.shape[0])))
    good.search(b, 20)
    assert good.root_visits == 20


def test_bad_arguments():
    with pytest.raises(ValueError):
        rocks.MCTS("nope")
    with pytest.raises(TypeError):
        rocks.MCTS(42)
    with pytest.raises(ValueError):
        rocks.MCTS("uniform", 1)
    with pytest.raises(ValueError):
        rocks.MCTS(batch_size=0)
    with pytest.raises(ValueError):
        rocks.MCTS(c_base=0)
    with pytest.raises(ValueError):
        rocks.MCTS(fpu="sometimes")
    with pytest.raises(ValueError):
        rocks.MCTS(inputs="pixels")
    with pytest.raises(TypeError):
        rocks.MCTS(unknown_option=1)
    with pytest.raises(TypeError):
        rocks.MCTS("uniform", 9, evaluator="uniform")
    m = rocks.MCTS(size=9)
    for call in (m.visit_counts, m.policy_target, m.select_move, m.should_resign, m.pv):
        with pytest.raises(RuntimeError):
            call()
    with pytest.raises(TypeError):
        m.search("board")
    with pytest.raises(ValueError):
        m.search(rocks.Board(5))
    with pytest.raises(ValueError):
        m.search(rocks.Board(9), -1)
    done = rocks.Board(9)
    done.pass_()
    done.pass_()
    with pytest.raises(RuntimeError, match="terminal"):
        m.search(done, 10)
    m.search(rocks.Board(9), 0)
    with pytest.raises(RuntimeError):
        m.policy_target()  # no child visited yet
    with pytest.raises(ValueError):
        m.select_move(float("nan"))
    with pytest.raises(ValueError):
        m.set_config(seed=5)
    with pytest.raises(ValueError):
        m.set_config(virtual_loss=-1)
    m.set_config(batch_size=4, c_init=2.0)
    assert m.config["batch_size"] == 4 and m.config["c_init"] == 2.0


def test_max_nodes_stops_with_memory_error():
    m = rocks.MCTS(size=9, max_nodes=500)
    with pytest.raises(MemoryError):
        m.search(rocks.Board(9), 1000)
    assert 0 < m.root_visits < 1000 and m.select_move() >= 0


def test_search_releases_the_gil():
    """While one thread searches, another runs Python and sees the search in progress (the
    busy guard), which is only possible if the GIL is released during the search."""
    m = rocks.MCTS("uniform", 9)
    b = rocks.Board(9)
    t = threading.Thread(target=m.search, args=(b, 40000))
    t.start()
    busy = spins = 0
    while t.is_alive():
        spins += 1
        try:
            m.root_visits
        except RuntimeError:
            busy += 1
    t.join()
    assert m.root_visits == 40000
    assert busy > 0, "the main thread never ran during the search (%d spins)" % spins


def test_busy_guard_from_inside_the_evaluator():
    holder = {}

    def ev(planes):
        with pytest.raises(RuntimeError, match="busy"):
            holder["m"].visit_counts()
        return np.ones((planes.shape[0], 82)), np.zeros(planes.shape[0])

    holder["m"] = rocks.MCTS(ev)
    holder["m"].search(rocks.Board(9), 3)


def test_evaluator_reference_cycle_is_collected():
    import gc
    import weakref

    class Holder:
        pass

    h = Holder()
    h.m = rocks.MCTS(lambda p: (np.ones((1, 82)), [0.0]))
    h.m.evaluator.__dict__["h"] = h  # cycle: h -> MCTS -> evaluator -> h
    w = weakref.ref(h)
    del h
    gc.collect()
    assert w() is None


# ------------------------------------------------------------------------------ C == Python

POSITIONS = [(11, 9, 0), (12, 9, 7), (13, 9, 25), (14, 7, 12), (15, 5, 6), (16, 9, 45)]


@pytest.mark.parametrize("seed,size,moves", POSITIONS)
def test_same_visit_counts_as_reference(seed, size, moves):
    c, r = random_position(seed, size, moves)
    if c.game_over:
        pytest.skip("random position ended")
    a = rocks.MCTS(c_planes_eval, batch_size=1)
    b = RefMCTS(ref_eval, batch_size=1)
    a.search(c, 250)
    b.search(r, 250)
    assert a.visit_counts().tolist() == b.visit_counts()
    assert a.root_value == b.root_value
    assert a.q_values().tolist() == b.q_values()
    assert a.priors().tolist() == b.priors()
    assert a.policy_target().tolist() == b.policy_target()
    assert a.pv(10) == b.pv(10)
    # boards input gives the same search as planes input
    a2 = rocks.MCTS(c_boards_eval, inputs="boards")
    a2.search(c, 250)
    assert a2.visit_counts().tolist() == b.visit_counts()


def test_same_search_uniform_terminal_nodes_and_fpu_modes():
    """Uniform evaluator on tiny boards with a move cap (and after a pass), so that terminal
    nodes are reached and their outcomes backed up."""
    terminal = 0
    for seed, size, extra, pass_first in [(1, 3, 3, False), (2, 4, 2, True), (3, 4, 0, False), (4, 5, 3, True)]:
        c, r = random_position(seed, size, 2)
        if pass_first:
            c.pass_()
            r.pass_()
        cap = c.move_count + extra if extra else 0
        for opts in [{}, {"fpu": "absolute", "fpu_value": -0.5}, {"c_init": 3.0, "c_base": 50.0}]:
            a = rocks.MCTS("uniform", max_moves=cap, **opts)
            b = RefMCTS("uniform", max_moves=cap, **opts)
            a.search(c, 400)
            b.search(r, 400)
            assert a.visit_counts().tolist() == b.visit_counts(), (seed, opts)
            assert a.root_value == b.root_value
            assert a.stats["terminal_visits"] == b.terminal_visits
            terminal += b.terminal_visits
    assert terminal > 100


def test_same_search_with_batches_noise_temperature_and_advance():
    c, r = random_position(21, 9, 8)
    for bs in (1, 4):
        a = rocks.MCTS(c_planes_eval, batch_size=bs, dirichlet=True, seed=7)
        b = RefMCTS(ref_eval, batch_size=bs, dirichlet=True, seed=7)
        a.search(c, 200)
        b.search(r, 200)
        assert a.visit_counts().tolist() == b.visit_counts()
        assert a.priors().tolist() == b.priors()
        assert a.stats["collisions"] == b.collisions
        assert [a.select_move(1.0) for _ in range(5)] == [b.select_move(1.0) for _ in range(5)]
        mv = a.select_move()
        a.advance(mv)
        b.advance(mv)
        c2 = c.copy()
        c2.play(mv)
        r2 = r.copy()
        r2.play(mv)
        a.search(c2, 100)
        b.search(r2, 100)
        assert a.root_visits == b.root_visits
        assert a.visit_counts().tolist() == b.visit_counts()


def test_reference_search_speed_sanity():
    """The reference is slow but usable: 100 uniform simulations in well under a few seconds."""
    t = time.perf_counter()
    RefMCTS("uniform").search(R.Board(9), 100)
    assert time.perf_counter() - t < 10
