"""Pure-Python PUCT Monte-Carlo tree search with the exact definitions of src/mcts/mcts.h.

Same tree, same arithmetic (double, with priors stored as 32-bit floats), same order of
operations, same tie-breaking (the lowest action wins), same perspective conventions, so that with
one deterministic evaluator, batch_size 1 and the same configuration the C search and this one
produce identical root visit counts.

Tree (mcts.h): node x reached from s by action a has N(x) visits, W(x) the sum of backed-up values
from the view of the player who chose a (Q(s,a) = W(x)/N(x)), P(x) the prior (float32) and VL(x)
the in-flight simulations through it. The root's W is from the view of the player who moved into
the root, so the root value for the player to move is -W(root)/N(root).

Expansion: the legal actions become children in ascending order; priors p_a -> (float32) p_a if
finite and > 0 else 0, S = sum over legal actions in ascending order (double), P_a = p_a/S (1/k when
S <= 0), stored as float32; v (float32, clamped to [-1, 1]) is for the player to move at s.

Backup of v (player to move at the leaf L): W(L) += -v, W(parent) += v, ... alternating up to the
root, N += 1 on every node of the path.

Selection at s (L = virtual_loss):
    Ns = N(s) + L*VL(s);  c = log((1 + Ns + c_base) / c_base) + c_init
    per child x in ascending action order:
        n = N(x) + L*VL(x);  q = (W(x) - L*VL(x)) / n if n > 0 else fpu
        u = c * P(x) * sqrt(Ns) / (1 + n);  the first maximum of q + u wins
    fpu = Qs - fpu_value * sqrt(sum of P(x) over children with N(x) > 0), Qs = -W(s)/N(s)
          ("reduction", the default), or fpu = fpu_value ("absolute").

Evaluators: "uniform" (priors 1/A, value 0), "rollout" (priors 1/A, value = one random playout of
the reference engine, +1/-1/0 for the player to move; uses Python's RNG, so it does not reproduce
the C rollouts), or a callable evaluator(boards) -> (priors, values) taking a list of reference
Boards (copies owned by the callee) and returning, per board, A = N*N+1 priors and a value in
[-1, 1] for the player to move.
"""

import array
import math
import random

from . import board as _board
from .board import BLACK, MAX_HISTORY

_M64 = (1 << 64) - 1


class Rng:
    """xoshiro256** seeded by splitmix64: the same stream as rocks_rng_t for the same seed."""

    def __init__(self, seed=1):
        self.seed(seed)

    def seed(self, seed):
        s = [_board.mix64((seed + i * 0x632BE59BD9B4E019) & _M64) for i in range(4)]
        if not any(s):
            s[0] = 1
        self.s = s

    def next(self):
        s = self.s
        result = (_rotl(s[1] * 5 & _M64, 7) * 9) & _M64
        t = (s[1] << 17) & _M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 45)
        return result

    def below(self, n):
        """Uniform integer in [0, n) (rocks_rng_below)."""
        return ((self.next() >> 32) * n) >> 32

    def double(self):
        """Uniform float in [0, 1) (rocks_rng_double)."""
        return (self.next() >> 11) * (1.0 / 9007199254740992.0)


def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & _M64


def _f32(values):
    """Rounds a sequence of numbers to float32 (returns an array('f'); reads back as doubles)."""
    return array.array("f", values)


def _f32_one(x):
    return array.array("f", (x,))[0]


FRESH, PENDING, EXPANDED, TERMINAL = 0, 1, 2, 3


class Node:
    """One tree node: n visits, w value sum (the chooser's view), p prior (float32 value),
    vl in-flight simulations, kind (FRESH, PENDING, EXPANDED, TERMINAL), children (a list in
    ascending action order once expanded), outcome (TERMINAL: for the player to move there)."""

    __slots__ = ("action", "n", "w", "p", "vl", "kind", "children", "outcome")

    def __init__(self, action, p):
        self.action = action
        self.n = 0
        self.w = 0.0
        self.p = p
        self.vl = 0
        self.kind = FRESH
        self.children = None
        self.outcome = 0.0


class GoGame:
    """Go over the reference Board, as mcts_go.h: actions are policy indices (pass = N*N);
    terminal after two passes, at move_count >= max_moves (if > 0) or with a full history;
    outcome = sign of the score for the player to move."""

    def __init__(self, size, max_moves=0):
        self.size = size
        self.num_actions = size * size + 1
        self.max_moves = max_moves

    def legal(self, b):
        return b.legal_moves()

    def play(self, b, action):
        b.play_legal(b.policy_point(action), b.to_play)

    def terminal(self, b):
        """None if not terminal, else the outcome for the player to move."""
        if not (b.passes >= 2 or (self.max_moves > 0 and b.move_count >= self.max_moves)
                or len(b.actions) >= MAX_HISTORY or not b.history_ok):
            return None
        s = b.score()
        v = 1.0 if s > 0 else -1.0 if s < 0 else 0.0
        return v if b.to_play == BLACK else -v

    def key(self, b):
        """What the C adapter's hash mixes: colouring, player to move, ko point, passes."""
        return (b.hash, b.to_play, b.ko_point, b.passes)


def eval_uniform(boards, num_actions):
    p = 1.0 / num_actions
    return [[p] * num_actions for _ in boards], [0.0] * len(boards)


class RolloutEvaluator:
    """priors 1/A, value = one random playout (reference engine, Python RNG) for the player to
    move in the evaluated state."""

    def __init__(self, seed=1, max_moves=0):
        self.rng = random.Random(seed)
        self.max_moves = max_moves

    def __call__(self, boards, num_actions):
        values = []
        for b in boards:
            me = b.to_play
            _, end = _board.random_playout(b, self.rng, self.max_moves)
            s = end.score()
            v = 1.0 if s > 0 else -1.0 if s < 0 else 0.0
            values.append(v if me == BLACK else -v)
        p = 1.0 / num_actions
        return [[p] * num_actions for _ in boards], values


class MCTS:
    """PUCT search over reference Boards with the configuration fields of mcts_config_t.

    MCTS(evaluator="uniform" | "rollout" | callable, size=None, c_init=1.25, c_base=19652,
         fpu="reduction" | "absolute", fpu_value=0.25, batch_size=1, virtual_loss=1.0,
         dirichlet=False, dirichlet_alpha=0.0, dirichlet_epsilon=0.25, temperature=0.0,
         resign_threshold=-1.0, seed=1, max_moves=0, rollout_moves=0)
    """

    def __init__(self, evaluator="uniform", size=None, c_init=1.25, c_base=19652.0,
                 fpu="reduction", fpu_value=0.25, batch_size=1, virtual_loss=1.0,
                 dirichlet=False, dirichlet_alpha=0.0, dirichlet_epsilon=0.25, temperature=0.0,
                 resign_threshold=-1.0, seed=1, max_moves=0, rollout_moves=0):
        if fpu not in ("reduction", "absolute"):
            raise ValueError("fpu must be 'reduction' or 'absolute'")
        if not 1 <= batch_size <= 4096:
            raise ValueError("batch_size must be in 1..4096")
        self.c_init = float(c_init)
        self.c_base = float(c_base)
        self.fpu_absolute = fpu == "absolute"
        self.fpu_value = float(fpu_value)
        self.batch_size = int(batch_size)
        self.virtual_loss = float(virtual_loss)
        self.dirichlet = bool(dirichlet)
        self.dirichlet_alpha = float(dirichlet_alpha)
        self.dirichlet_epsilon = float(dirichlet_epsilon)
        self.temperature = float(temperature)
        self.resign_threshold = float(resign_threshold)
        self.rng = Rng(seed)
        self.max_moves = max_moves
        if evaluator == "uniform":
            self._eval = eval_uniform
        elif evaluator == "rollout":
            self._eval = RolloutEvaluator(seed, rollout_moves)
        elif callable(evaluator):
            self._eval = lambda boards, a: evaluator(boards)
        else:
            raise ValueError("evaluator must be 'uniform', 'rollout' or a callable")
        self.game = GoGame(size, max_moves) if size else None
        self.root_board = None
        self.root = None
        self.root_noised = False
        self.simulations = 0
        self.evaluations = 0
        self.batches = 0
        self.collisions = 0
        self.terminal_visits = 0

    # ------------------------------------------------------------------ root
    def set_root(self, board):
        """Copies `board` as the root state; the tree is kept if the root was the same position
        (same colouring, player to move, ko point and passes — the C adapter's hash), else
        cleared."""
        if self.game is None:
            self.game = GoGame(board.size, self.max_moves)
        elif board.size != self.game.size:
            raise ValueError("this search is for %dx%d boards" % (self.game.size, self.game.size))
        keep = self.root_board is not None and self.game.key(board) == self.game.key(self.root_board)
        self.root_board = board.copy()
        if not keep:
            self.clear()

    def clear(self):
        """Drops the tree, keeping the root position."""
        self.root = Node(-1, 1.0)
        self.root_noised = False

    # ------------------------------------------------------------------ search
    def search(self, board, simulations=800):
        """Sets `board` as the root (see set_root) and runs `simulations` more completed
        simulations (evaluated leaves and terminal visits), exactly as mcts_search."""
        self.set_root(board)
        game = self.game
        root = self.root
        if root.kind == FRESH:
            out = game.terminal(self.root_board)
            if out is not None:
                root.kind = TERMINAL
                root.outcome = out
        if root.kind == TERMINAL:
            raise RuntimeError("mcts: the root position is terminal")
        if root.kind == EXPANDED and not self.root_noised:
            self._apply_noise()
        done = 0
        while done < simulations:
            want = min(simulations - done, self.batch_size)
            batch = []  # (path, state, legal)
            for _ in range(want):
                path = self._select()
                leaf = path[-1]
                if leaf.kind == TERMINAL:
                    self._backup(path, leaf.outcome, False)
                    self.terminal_visits += 1
                    done += 1
                    continue
                if leaf.kind == PENDING:  # collision: evaluate what we have
                    self.collisions += 1
                    break
                state = self.root_board.copy()
                for x in path[1:]:
                    game.play(state, x.action)
                out = game.terminal(state)
                if out is not None:
                    leaf.kind = TERMINAL
                    leaf.outcome = _f32_one(max(-1.0, min(1.0, out)))
                    self._backup(path, leaf.outcome, False)
                    self.terminal_visits += 1
                    done += 1
                    continue
                legal = game.legal(state)
                leaf.kind = PENDING
                for x in path:
                    x.vl += 1
                batch.append((path, state, legal))
            if not batch:
                continue
            priors, values = self._eval([st for _, st, _ in batch], game.num_actions)
            self.batches += 1
            self.evaluations += len(batch)
            values = list(values)
            if len(priors) != len(batch) or len(values) != len(batch):
                self._abandon(batch)
                raise ValueError("evaluator returned %d priors / %d values for %d positions"
                                 % (len(priors), len(values), len(batch)))
            values = [_f32_one(v) for v in values]
            if not all(math.isfinite(v) for v in values):
                self._abandon(batch)
                raise RuntimeError("mcts: evaluator returned a non-finite value")
            for (path, state, legal), pr, v in zip(batch, priors, values):
                self._expand(path[-1], legal, pr)
                if len(path) == 1 and not self.root_noised:
                    self._apply_noise()
                self._backup(path, 1.0 if v > 1 else -1.0 if v < -1 else v, True)
                done += 1

    def _abandon(self, batch):
        for path, _, _ in batch:
            for x in path:
                x.vl -= 1
            path[-1].kind = FRESH

    def _select(self):
        """Path from the root to a non-expanded node by PUCT (select_child in mcts.c)."""
        node = self.root
        path = [node]
        L = self.virtual_loss
        fpu_abs = self.fpu_absolute
        fpu_value = self.fpu_value
        c_init, c_base = self.c_init, self.c_base
        sqrt, log = math.sqrt, math.log
        while node.kind == EXPANDED:
            ch = node.children
            ns = node.n + L * node.vl
            c = log((1.0 + ns + c_base) / c_base) + c_init
            sq = sqrt(ns)
            if fpu_abs:
                fpu = fpu_value
            else:
                mass = 0.0
                for x in ch:
                    if x.n > 0:
                        mass += x.p
                qs = -node.w / node.n if node.n > 0 else 0.0
                fpu = qs - fpu_value * sqrt(mass)
            best = ch[0]
            best_v = -math.inf
            for x in ch:
                vl = L * x.vl
                n = x.n + vl
                v = ((x.w - vl) / n if n > 0 else fpu) + c * x.p * sq / (1.0 + n)
                if v > best_v:
                    best_v = v
                    best = x
            node = best
            path.append(node)
        return path

    def _expand(self, node, legal, priors):
        """Children for the legal actions (ascending) with renormalised float32 priors."""
        p32 = _f32(priors[a] for a in legal)
        total = 0.0
        for x in p32:
            if x > 0.0 and x != math.inf:
                total += x
        k = len(legal)
        if total > 0:
            ps = _f32((x / total if (x > 0.0 and x != math.inf) else 0.0) for x in p32)
        else:
            ps = _f32([1.0 / k] * k)
        node.children = [Node(a, ps[i]) for i, a in enumerate(legal)]
        node.kind = EXPANDED

    def _apply_noise(self):
        """P := (1-eps) P + eps Dir(alpha) on the root's children, once per root (mcts.c)."""
        root = self.root
        if root.kind != EXPANDED or not self.dirichlet or self.root_noised:
            return
        self.root_noised = True
        ch = root.children
        k = len(ch)
        alpha = self.dirichlet_alpha if self.dirichlet_alpha > 0 else 0.03 * 361.0 / k
        eta = []
        total = 0.0
        for _ in range(k):
            e = self._gamma(alpha)
            eta.append(e)
            total += e
        if not (total > 0) or not math.isfinite(total):
            hit = self.rng.below(k)
            eta = [1.0 if i == hit else 0.0 for i in range(k)]
            total = 1.0
        eps = self.dirichlet_epsilon
        for x, e in zip(ch, eta):
            x.p = _f32_one((1.0 - eps) * x.p + eps * (e / total))

    def _normal(self):
        u1 = 1.0 - self.rng.double()
        u2 = self.rng.double()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(6.283185307179586 * u2)

    def _gamma(self, a):
        """Gamma(a, 1) by Marsaglia-Tsang; a < 1 via Gamma(a+1) * U^(1/a) (rng_gamma in mcts.c)."""
        if a < 1.0:
            u = 1.0 - self.rng.double()
            return self._gamma(a + 1.0) * math.pow(u, 1.0 / a)
        d = a - 1.0 / 3.0
        c = 1.0 / math.sqrt(9.0 * d)
        while True:
            while True:
                x = self._normal()
                v = 1.0 + c * x
                if not v <= 0:
                    break
            v = v * v * v
            u = 1.0 - self.rng.double()
            if u < 1.0 - 0.0331 * x * x * x * x:
                return d * v
            if math.log(u) < 0.5 * x * x + d * (1.0 - v + math.log(v)):
                return d * v

    def _backup(self, path, v, had_vl):
        """Adds v (for the player to move at the path's last node) along the path."""
        x = -v
        for nd in reversed(path):
            nd.n += 1
            nd.w += x
            if had_vl:
                nd.vl -= 1
            x = -x
        self.simulations += 1

    # ------------------------------------------------------------------ results
    @property
    def num_actions(self):
        return self.game.num_actions

    @property
    def root_visits(self):
        return self.root.n if self.root else 0

    @property
    def root_value(self):
        r = self.root
        return -r.w / r.n if r and r.n > 0 else 0.0

    def _children(self):
        r = self.root
        return r.children if r is not None and r.kind == EXPANDED else []

    def visit_counts(self):
        """N(root, a) per action (0 for non-children)."""
        out = [0] * self.game.num_actions
        for x in self._children():
            out[x.action] = x.n
        return out

    def q_values(self):
        """Q(root, a) = W/N per action, from the view of the player to move at the root."""
        out = [0.0] * self.game.num_actions
        for x in self._children():
            if x.n > 0:
                out[x.action] = x.w / x.n
        return out

    def priors(self):
        """P(root, a) as used (after noise)."""
        out = [0.0] * self.game.num_actions
        for x in self._children():
            out[x.action] = x.p
        return out

    def policy_target(self):
        """pi[a] = N(root, a) / sum N (float32 values)."""
        ch = self._children()
        total = 0
        for x in ch:
            total += x.n
        if total == 0:
            raise RuntimeError("mcts: no root child has been visited")
        out = [0.0] * self.game.num_actions
        for x in ch:
            out[x.action] = _f32_one(x.n / total)
        return out

    @staticmethod
    def _most_visited(node):
        if node is None or node.kind != EXPANDED:
            return None
        best = None
        for x in node.children:
            if x.n > 0 and (best is None or x.n > best.n):
                best = x
        return best

    def select_move(self, temperature=0.0):
        """Temperature < 1e-3: the most visited root action (ties: lowest); else sampled with
        probability proportional to N^(1/temperature) from the search RNG (mcts_select_action).
        A negative temperature means the configured one."""
        best = self._most_visited(self.root)
        if best is None:
            raise RuntimeError("mcts: no root child has been visited")
        if temperature < 0:
            temperature = self.temperature
        if temperature < 1e-3:
            return best.action
        ch = self.root.children
        nmax = float(best.n)
        inv = 1.0 / temperature
        total = 0.0
        for x in ch:
            if x.n > 0:
                total += math.pow(x.n / nmax, inv)
        r = self.rng.double() * total
        pick = best
        for x in ch:
            if x.n <= 0:
                continue
            pick = x
            r -= math.pow(x.n / nmax, inv)
            if r < 0:
                break
        return pick.action

    def pv(self, max_len=64):
        """Principal variation: repeatedly the most visited child while it has visits."""
        out = []
        node = self.root
        while len(out) < max_len:
            node = self._most_visited(node)
            if node is None:
                break
            out.append(node.action)
        return out

    def should_resign(self):
        t = self.resign_threshold
        if not t > -1.0:
            return False
        best = self._most_visited(self.root)
        if self.root is None or self.root.n <= 0 or best is None:
            return False
        return self.root_value < t and best.w / best.n < t

    def advance(self, move):
        """Plays `move` (policy index or any Board move form) at the root, keeping its subtree
        (statistics intact) as the new tree."""
        if self.root_board is None:
            raise RuntimeError("mcts: no root position")
        b = self.root_board
        a = b.policy_index(b.to_point(move))
        keep = None
        if self.root.kind == EXPANDED:
            for x in self.root.children:
                if x.action == a:
                    keep = x
            if keep is None:
                raise _board.IllegalMove("mcts: action %d is not legal at the root" % a)
        else:
            if self.game.terminal(b) is not None:
                raise _board.IllegalMove("mcts: action %d: the root position is terminal" % a)
            if a not in self.game.legal(b):
                raise _board.IllegalMove("mcts: action %d is not legal at the root" % a)
        self.game.play(b, a)
        self.root_noised = False
        if keep is None:
            self.clear()
        else:
            self.root = keep

    def node_count(self):
        """Nodes in the tree: the root and every expanded child block."""
        n = 0
        stack = [self.root] if self.root else []
        while stack:
            x = stack.pop()
            n += 1
            if x.kind == EXPANDED:
                stack.extend(x.children)
        return n
