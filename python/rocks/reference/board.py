"""Pure-Python Go rules engine that follows docs/rules.md and src/go/board.h exactly.

It is the slow, readable twin of the C engine, used for differential tests and for the speedup
report. No numpy: planes() and stones() return nested lists.

Representation. Like the C engine, points index a padded (N+2)^2 array whose border is OFFBOARD;
x is the column from the left, y the row from the TOP, point = (y+1)*(N+2) + x+1. A "move" in
the public API is a *policy index*: y*N + x for a point, N*N for a pass (the same as
board_policy_index in C). Methods that take a move also accept (x, y), a GTP vertex such as
"D4" or "pass", or None (pass).

Groups are explicit: every stone maps to a Group holding its stones (list) and its real
liberties (set). This is deliberately a different data structure from the C engine's
pseudo-liberty counters, so that a differential test compares two independent implementations
of the same rules:

- a move colours an empty point, then clears opponent groups without liberties, then its own
  (Tromp-Taylor); a single-stone suicide is always illegal, a multi-stone suicide is legal iff
  the rules allow suicide ("tromp-taylor": yes, "chinese": no);
- simple ko: after a capture of exactly one stone by a single stone left with one liberty, the
  opponent may not retake at once (reported as "ko");
- positional superko: no move may recreate a colouring at which a move (or pass) was made in
  this game, or the current colouring. Colourings before a setup action do not count. Compared
  exactly (Zobrist hash first, then the full colouring);
- passes are always legal; two consecutive passes end the game;
- score = black area - white area - komi (area = stones + empty regions reaching only that
  colour). komi is stored as a 32-bit float, like the C engine.
"""

import random as _random
import struct as _struct

EMPTY, BLACK, WHITE, OFFBOARD = 0, 1, 2, 3
PASS = -1  # internal point value of a pass (as BOARD_PASS in C)
MIN_SIZE, MAX_SIZE = 2, 19
MAX_HISTORY = 4096
COLUMNS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"

_M64 = (1 << 64) - 1


class IllegalMove(ValueError):
    """An illegal move (occupied, suicide, ko, superko, off board)."""


def mix64(x):
    """splitmix64 finaliser (rocks_mix64): used for the Zobrist keys, so hashes equal the C ones."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


_ZOBRIST = [[mix64((p << 2) | c) for c in range(3)] for p in range((MAX_SIZE + 2) ** 2)]


def _float32(x):
    return _struct.unpack("f", _struct.pack("f", float(x)))[0]


RULES = {
    "tromp-taylor": (True, True),
    "tromp_taylor": (True, True),
    "tt": (True, True),
    "chinese": (False, True),
}


def parse_rules(name):
    """Rules name -> (suicide allowed, positional superko). Same names as board_rules_from_name."""
    r = RULES.get(str(name).lower())
    if r is None:
        raise ValueError("unknown rules '%s' (known: tromp-taylor, chinese)" % name)
    return r


def parse_color(color):
    if color in (BLACK, WHITE):
        return color
    if isinstance(color, str):
        c = color.lower()
        if c in ("b", "black"):
            return BLACK
        if c in ("w", "white"):
            return WHITE
    raise ValueError("bad colour %r (expected 1/2 or 'b'/'w'/'black'/'white')" % (color,))


class Group:
    __slots__ = ("color", "stones", "libs")

    def __init__(self, color, stones, libs):
        self.color = color
        self.stones = stones
        self.libs = libs


class Board:
    """A Go position with history. Board(size=19, komi=7.5, rules="tromp-taylor")."""

    def __init__(self, size=19, komi=7.5, rules="tromp-taylor"):
        if not isinstance(size, int) or not MIN_SIZE <= size <= MAX_SIZE:
            raise ValueError("board size %s is not in %d..%d" % (size, MIN_SIZE, MAX_SIZE))
        self.suicide, self.superko = parse_rules(rules)
        self.size = size
        self.stride = size + 2
        self.komi = _float32(komi)
        s = self.stride
        self.points = [(y + 1) * s + x + 1 for y in range(size) for x in range(size)]
        self.nb = [None] * (s * s)
        self.diag = [None] * (s * s)
        for p in self.points:
            self.nb[p] = (p - s, p - 1, p + 1, p + s)
            self.diag[p] = (p - s - 1, p - s + 1, p + s - 1, p + s + 1)
        self.clear()

    # ------------------------------------------------------------------ state
    def clear(self):
        """Removes all stones and history (keeps size, rules, komi)."""
        s = self.stride
        self.color = [OFFBOARD] * (s * s)
        for p in self.points:
            self.color[p] = EMPTY
        self.group_of = [None] * (s * s)
        self.to_play = BLACK
        self.ko_point = 0
        self.ko_color = EMPTY
        self.last_point = 0   # internal point of the last move (PASS), 0 before any
        self.last_point2 = 0
        self.passes = 0
        self.move_count = 0
        self.caps = [0, 0, 0]
        self.hash = 0
        self.history_ok = True
        self.actions = []   # (point, color, setup)
        self.counted = {}   # hash -> tuple of colourings (bytes) at which a move was made

    @property
    def rules(self):
        if self.superko and self.suicide:
            return "tromp-taylor"
        if self.superko:
            return "chinese"
        return "custom"

    def copy(self):
        """An independent copy (history included)."""
        b = Board.__new__(Board)
        b.__dict__.update(self.__dict__)
        b.color = self.color[:]
        b.caps = self.caps[:]
        b.actions = self.actions[:]
        b.counted = self.counted.copy()  # values are immutable tuples
        b.group_of = self._copy_groups()
        return b

    def _copy_groups(self):
        new = {}
        gof = [None] * len(self.group_of)
        for p in self.points:
            g = self.group_of[p]
            if g is not None:
                ng = new.get(id(g))
                if ng is None:
                    ng = new[id(g)] = Group(g.color, g.stones[:], set(g.libs))
                gof[p] = ng
        return gof

    def scratch_copy(self):
        """A copy without history, for playouts (history_ok False, like board_play_fast)."""
        b = Board.__new__(Board)
        b.__dict__.update(self.__dict__)
        b.color = self.color[:]
        b.caps = self.caps[:]
        b.actions = []
        b.counted = {}
        b.history_ok = False
        b.group_of = self._copy_groups()
        return b

    # ------------------------------------------------------------------ coordinates
    def point(self, x, y):
        return (y + 1) * self.stride + x + 1

    def point_xy(self, p):
        return p % self.stride - 1, p // self.stride - 1

    def policy_index(self, p):
        if p == PASS:
            return self.size * self.size
        x, y = self.point_xy(p)
        return y * self.size + x

    def policy_point(self, i):
        n = self.size
        return PASS if i == n * n else self.point(i % n, i // n)

    def vertex(self, move):
        """GTP vertex ("D4", "pass") of a move (policy index or any accepted move form)."""
        p = self.to_point(move)
        if p == PASS:
            return "pass"
        x, y = self.point_xy(p)
        return "%s%d" % (COLUMNS[x], self.size - y)

    def index(self, move):
        """Policy index of a move given in any accepted form."""
        return self.policy_index(self.to_point(move))

    def xy(self, move):
        """(x, y) of a move (x from the left, y from the top), None for a pass."""
        p = self.to_point(move)
        return None if p == PASS else self.point_xy(p)

    @property
    def captures(self):
        """(stones captured by black, stones captured by white)."""
        return (self.caps[BLACK], self.caps[WHITE])

    @property
    def last_move(self):
        """Policy index of the last move (N*N = pass), None before any move."""
        return None if self.last_point == 0 else self.policy_index(self.last_point)

    @property
    def ko(self):
        """(policy index, colour) of the simple-ko point that colour may not retake, or None."""
        return (self.policy_index(self.ko_point), self.ko_color) if self.ko_point else None

    def to_point(self, move):
        """Internal point of a move: policy index, (x, y), GTP vertex / "pass", or None (pass)."""
        n = self.size
        if move is None:
            return PASS
        if isinstance(move, str):
            s = move.strip()
            if s.lower() == "pass":
                return PASS
            if len(s) < 2 or s[0].upper() not in COLUMNS or not s[1:].isdigit() or len(s) > 4:
                raise ValueError("invalid vertex '%s'" % move)
            x = COLUMNS.index(s[0].upper())
            row = int(s[1:])
            if x >= n or row < 1 or row > n:
                raise ValueError("vertex '%s' is off the %dx%d board" % (move, n, n))
            return self.point(x, n - row)
        if isinstance(move, tuple):
            if len(move) != 2:
                raise ValueError("a move tuple must be (x, y)")
            x, y = move
            if not (isinstance(x, int) and isinstance(y, int)) or not (0 <= x < n and 0 <= y < n):
                raise ValueError("point (%s, %s) is off the %dx%d board" % (x, y, n, n))
            return self.point(x, y)
        if isinstance(move, int):
            if not 0 <= move <= n * n:
                raise ValueError("policy index %d is not in 0..%d" % (move, n * n))
            return self.policy_point(move)
        raise TypeError("a move is a policy index, (x, y), a vertex string or None")

    # ------------------------------------------------------------------ legality
    def _legal_fast(self, color, p):
        """Legal under simple ko and the suicide rule, ignoring superko (board_is_legal_fast)."""
        col = self.color
        if col[p] != EMPTY:
            return False
        if p == self.ko_point and color == self.ko_color:
            return False
        gof = self.group_of
        friend = False
        for n in self.nb[p]:
            c = col[n]
            if c == EMPTY:
                return True
            if c == color:
                if len(gof[n].libs) != 1:
                    return True
                friend = True
            elif c != OFFBOARD:
                if len(gof[n].libs) == 1:
                    return True  # captures
        return friend and self.suicide

    def _after(self, color, p):
        """(hash, removed points) of the colouring after `color` plays legal-fast point p."""
        col, gof = self.color, self.group_of
        h = self.hash ^ _ZOBRIST[p][color]
        liberty = False
        removed = []
        done = []
        for n in self.nb[p]:
            c = col[n]
            if c == EMPTY:
                liberty = True
            elif c == color:
                if len(gof[n].libs) != 1:
                    liberty = True
            elif c != OFFBOARD:
                g = gof[n]
                if len(g.libs) == 1 and g not in done:
                    done.append(g)
                    liberty = True
                    for s in g.stones:
                        h ^= _ZOBRIST[s][c]
                        removed.append(s)
        if liberty:
            return h, removed
        h ^= _ZOBRIST[p][color]
        removed.append(p)
        for n in self.nb[p]:
            if col[n] == color:
                g = gof[n]
                if g not in done:
                    done.append(g)
                    for s in g.stones:
                        h ^= _ZOBRIST[s][color]
                        removed.append(s)
        return h, removed

    def _repeats(self, color, p):
        """True if playing p recreates a counted colouring (positional superko)."""
        h, removed = self._after(color, p)
        if h != self.hash and h not in self.counted:
            return False
        after = self.color[:]
        after[p] = color
        for s in removed:
            after[s] = EMPTY
        after = bytes(after)
        return after == bytes(self.color) or after in self.counted.get(h, ())

    def why_illegal(self, move, color=None):
        """None if `move` is legal for `color` (default: side to move), else the reason:
        "occupied", "suicide", "ko", "superko" (same words as board_is_legal_why)."""
        color = self.to_play if color is None else parse_color(color)
        p = self.to_point(move)
        return self._why(color, p)

    def _why(self, color, p):
        if p == PASS:
            return None
        if self.color[p] != EMPTY:
            return "occupied"
        if p == self.ko_point and color == self.ko_color:
            return "ko"
        if not self._legal_fast(color, p):
            return "suicide"
        if self.superko and self.history_ok and self._repeats(color, p):
            return "superko"
        return None

    def is_legal(self, move, color=None):
        """True if `move` is legal for `color` (default: side to move), superko included."""
        return self.why_illegal(move, color) is None

    def legal_moves(self, color=None):
        """Every legal move as a policy index, points in row-major order, pass (N*N) last."""
        color = self.to_play if color is None else parse_color(color)
        out = []
        i = 0
        col = self.color
        for p in self.points:
            if col[p] == EMPTY and self._why(color, p) is None:
                out.append(i)
            i += 1
        out.append(self.size * self.size)
        return out

    def is_eye(self, move, color=None):
        """Single-point eye of `color` (board_is_eye): empty, all on-board neighbours `color`,
        at most one opponent diagonal (none when on the edge)."""
        color = self.to_play if color is None else parse_color(color)
        return self._is_eye(self.to_point(move), color)

    def _is_eye(self, p, color):
        col = self.color
        if p == PASS or col[p] != EMPTY:
            return False
        for n in self.nb[p]:
            c = col[n]
            if c != color and c != OFFBOARD:
                return False
        opp = 3 - color
        bad = 0
        edge = False
        for d in self.diag[p]:
            c = col[d]
            if c == opp:
                bad += 1
            elif c == OFFBOARD:
                edge = True
        return bad < (1 if edge else 2)

    # ------------------------------------------------------------------ playing
    def play(self, move, color=None):
        """Plays `move` for `color` (default: side to move). Raises IllegalMove if illegal."""
        color = self.to_play if color is None else parse_color(color)
        p = self.to_point(move)
        why = self._why(color, p)
        if why is not None:
            raise IllegalMove("illegal move %s %s: %s" % ("W" if color == WHITE else "B",
                                                           self.vertex(move), why))
        if len(self.actions) >= MAX_HISTORY and self.history_ok:
            raise MemoryError("game history full (%d actions)" % MAX_HISTORY)
        self._record(color, p, False)
        self._play_move(color, p)

    def pass_(self, color=None):
        """Plays a pass for `color` (default: side to move)."""
        self.play(None, color)

    def play_legal(self, p, color):
        """Plays internal point p (or PASS) already known to be legal, recording history."""
        if self.history_ok and len(self.actions) < MAX_HISTORY:
            self._record(color, p, False)
        else:
            self.history_ok = False
        self._play_move(color, p)

    def play_fast(self, p, color):
        """Plays a legal-fast point (or PASS) without superko or history (board_play_fast)."""
        self.history_ok = False
        self._play_move(color, p)

    def _record(self, color, p, setup):
        if not self.history_ok:
            return
        if not setup:
            cur = bytes(self.color)
            old = self.counted.get(self.hash, ())
            if cur not in old:
                self.counted[self.hash] = old + (cur,)
        self.actions.append((p, color, setup))

    def _play_move(self, color, p):
        if p == PASS:
            self.passes += 1
            self.ko_point = 0
        else:
            self._play_point(color, p)
            self.passes = 0
        self.last_point2 = self.last_point
        self.last_point = p
        self.move_count += 1
        self.to_play = 3 - color

    def _play_point(self, color, p):
        col, gof = self.color, self.group_of
        opp = 3 - color
        col[p] = color
        self.hash ^= _ZOBRIST[p][color]
        libs = set()
        friends = []
        enemies = []
        for n in self.nb[p]:
            c = col[n]
            if c == EMPTY:
                libs.add(n)
            elif c == color:
                g = gof[n]
                if g not in friends:
                    friends.append(g)
            elif c == opp:
                g = gof[n]
                if g not in enemies:
                    enemies.append(g)
        # merge the new stone and its friends into the largest friend group
        if friends:
            base = max(friends, key=lambda g: len(g.stones))
            base.libs.discard(p)
            base.stones.append(p)
            gof[p] = base
            for g in friends:
                if g is not base:
                    base.stones.extend(g.stones)
                    base.libs |= g.libs
                    for s in g.stones:
                        gof[s] = base
            base.libs.discard(p)
            base.libs |= libs
        else:
            base = Group(color, [p], libs)
            gof[p] = base
        captured = 0
        captured_at = 0
        for g in enemies:
            g.libs.discard(p)
            if not g.libs:
                captured_at = g.stones[0]
                captured += self._remove(g)
        self.caps[color] += captured
        if not base.libs:  # multi-stone suicide (rules permitting)
            self.caps[opp] += self._remove(base)
            self.ko_point = 0
        elif captured == 1 and len(base.stones) == 1 and len(base.libs) == 1:
            self.ko_point = captured_at
            self.ko_color = opp
        else:
            self.ko_point = 0

    def _remove(self, g):
        col, gof, nb = self.color, self.group_of, self.nb
        c = g.color
        h = self.hash
        for s in g.stones:
            col[s] = EMPTY
            gof[s] = None
            h ^= _ZOBRIST[s][c]
        self.hash = h
        for s in g.stones:
            for n in nb[s]:
                ng = gof[n]
                if ng is not None:
                    ng.libs.add(s)
        return len(g.stones)

    def _rebuild(self):
        """Recomputes the groups and the hash from the colours alone (after setup)."""
        col = self.color
        gof = [None] * len(col)
        h = 0
        for p in self.points:
            c = col[p]
            if c == EMPTY or gof[p] is not None:
                continue
            g = Group(c, [], set())
            stack = [p]
            gof[p] = g
            while stack:
                s = stack.pop()
                g.stones.append(s)
                for n in self.nb[s]:
                    cn = col[n]
                    if cn == EMPTY:
                        g.libs.add(n)
                    elif cn == c and gof[n] is None:
                        gof[n] = g
                        stack.append(n)
        for p in self.points:
            if col[p] in (BLACK, WHITE):
                h ^= _ZOBRIST[p][col[p]]
        self.group_of = gof
        self.hash = h

    def setup_stone(self, move, color):
        """Setup (handicap, SGF AB/AW/AE): colour BLACK/WHITE puts a stone on an empty point,
        EMPTY (0) removes one. No captures, no turn change; recorded for undo."""
        if color not in (EMPTY, BLACK, WHITE):
            color = parse_color(color)
        p = self.to_point(move)
        if p == PASS:
            raise ValueError("setup point is off the board")
        if color != EMPTY and self.color[p] != EMPTY:
            raise IllegalMove("setup point is occupied")
        if len(self.actions) >= MAX_HISTORY and self.history_ok:
            raise MemoryError("game history full (%d actions)" % MAX_HISTORY)
        self._record(color, p, True)
        self._apply_setup(color, p)

    def _apply_setup(self, color, p):
        self.color[p] = color
        self._rebuild()
        self.ko_point = 0

    def undo(self):
        """Undoes the last action (move, pass or setup) by replaying the history."""
        if not self.history_ok:
            raise RuntimeError("history is not valid (fast play was used)")
        if not self.actions:
            raise RuntimeError("nothing to undo")
        actions = self.actions[:-1]
        self.clear()
        for p, color, setup in actions:
            self._record(color, p, setup)
            if setup:
                self._apply_setup(color, p)
            else:
                self._play_move(color, p)

    @property
    def game_over(self):
        return self.passes >= 2

    def history(self):
        """Recorded actions as (color, policy index, setup) tuples (setup colour 0 = removal)."""
        return [(c, self.policy_index(p), bool(s)) for p, c, s in self.actions]

    # ------------------------------------------------------------------ scoring
    def _owner_points(self):
        """Owner per internal point: colour of stones and of empty regions reaching one colour."""
        col = self.color
        owner = [c if c in (BLACK, WHITE) else EMPTY for c in col]
        seen = [False] * len(col)
        nb = self.nb
        for p in self.points:
            if col[p] != EMPTY or seen[p]:
                continue
            region = []
            reach = 0
            stack = [p]
            seen[p] = True
            while stack:
                s = stack.pop()
                region.append(s)
                for n in nb[s]:
                    c = col[n]
                    if c == EMPTY:
                        if not seen[n]:
                            seen[n] = True
                            stack.append(n)
                    elif c != OFFBOARD:
                        reach |= c
            if reach in (BLACK, WHITE):
                for s in region:
                    owner[s] = reach
        return owner

    def area_owner(self):
        """N x N nested list: owner of each point under area scoring (0 = dame)."""
        owner = self._owner_points()
        n = self.size
        return [[owner[self.point(x, y)] for x in range(n)] for y in range(n)]

    def legal_mask(self, color=None):
        """List of N*N+1 bools: True at the policy index of each legal move."""
        mask = [False] * (self.size * self.size + 1)
        for i in self.legal_moves(color):
            mask[i] = True
        return mask

    def area(self):
        """(black area, white area): stones plus empty points reaching only that colour."""
        owner = self._owner_points()
        b = w = 0
        for p in self.points:
            o = owner[p]
            if o == BLACK:
                b += 1
            elif o == WHITE:
                w += 1
        return b, w

    def score(self):
        """Tromp-Taylor area score black - white - komi (positive: black wins)."""
        b, w = self.area()
        return float(b) - float(w) - self.komi

    @property
    def winner(self):
        s = self.score()
        return BLACK if s > 0 else WHITE if s < 0 else EMPTY

    def result(self):
        """"B+3.5", "W+0.5" or "0"."""
        s = self.score()
        if s == 0:
            return "0"
        return "%s+%s" % ("B" if s > 0 else "W", ("%g" % abs(s)))

    # ------------------------------------------------------------------ views
    def stones(self):
        """N x N nested list of colours (0 empty, 1 black, 2 white), rows from the top."""
        n = self.size
        col = self.color
        return [[col[self.point(x, y)] for x in range(n)] for y in range(n)]

    def planes(self):
        """4 x N x N nested lists: own stones, opponent stones, empty, ones if black to move."""
        me, opp = self.to_play, 3 - self.to_play
        st = self.stones()
        own = [[1.0 if c == me else 0.0 for c in row] for row in st]
        his = [[1.0 if c == opp else 0.0 for c in row] for row in st]
        emp = [[1.0 if c == EMPTY else 0.0 for c in row] for row in st]
        one = 1.0 if self.to_play == BLACK else 0.0
        return [own, his, emp, [[one] * self.size for _ in range(self.size)]]

    def __str__(self):
        n = self.size
        head = "   " + "".join(" " + COLUMNS[x] for x in range(n)) + "\n"
        out = [head]
        for y in range(n):
            row = ["%2d " % (n - y)]
            for x in range(n):
                p = self.point(x, y)
                ch = ".XO"[self.color[p]]
                if p == self.last_point:
                    sep = "("
                elif x > 0 and self.point(x - 1, y) == self.last_point:
                    sep = ")"
                else:
                    sep = " "
                row.append(sep + ch)
            row.append("%s%d\n" % (")" if self.point(n - 1, y) == self.last_point else " ", n - y))
            out.append("".join(row))
        out.append(head)
        return "".join(out)

    def __repr__(self):
        return "<rocks.reference.Board %dx%d %s to play, move %d>" % (
            self.size, self.size, "black" if self.to_play == BLACK else "white", self.move_count)

    # ------------------------------------------------------------------ playouts
    def random_move(self, rng, color=None):
        """A uniformly random legal-fast move for `color` that does not fill its own eye, as an
        internal point (PASS if none). Ignores superko, like board_random_move."""
        color = self.to_play if color is None else color
        col = self.color
        cand = [p for p in self.points if col[p] == EMPTY]
        m = len(cand)
        rand = rng.random
        while m:
            i = int(rand() * m)
            p = cand[i]
            if not self._is_eye(p, color) and self._legal_fast(color, p):
                return p
            m -= 1
            cand[i] = cand[m]
        return PASS

    def playout(self, rng, max_moves=0):
        """Plays random non-eye-filling moves in place (fast mode: no superko, no history) until
        two passes or max_moves (0 = 3*N*N). Returns the number of moves played."""
        if max_moves <= 0:
            max_moves = 3 * self.size * self.size
        self.history_ok = False
        n = 0
        while n < max_moves and self.passes < 2:
            color = self.to_play
            self._play_move(color, self.random_move(rng, color))
            n += 1
        return n


def random_playout(board, rng=None, max_moves=0):
    """Plays a random playout on a scratch copy of `board`; returns (moves played, final board).

    rng: a random.Random (default: a fresh one seeded with 1)."""
    if rng is None:
        rng = _random.Random(1)
    b = board.scratch_copy()
    n = b.playout(rng, max_moves)
    return n, b
