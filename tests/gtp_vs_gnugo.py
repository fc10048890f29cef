#!/usr/bin/python3
"""gtp_vs_gnugo.py — a small GTP referee: rocks against GNU Go on 9x9, one game per colour.

Usage: gtp_vs_gnugo.py ROCKS_BINARY [--games N] [--seed S] [--max-moves M] [--verbose]

Both engines get boardsize 9, komi 7.5 and the same rules (Chinese area scoring, suicide
forbidden, positional superko: `rocks-rules chinese` and GNU Go's --chinese-rules
--positional-superko). GNU Go runs at level 1 with an explicit --seed (so a game is
reproducible) and --capture-all-dead (so that when it passes, nothing dead is left on the
board and area scores are exact). The referee relays each generated move to the other engine.

Checks (exit 1 on failure):
  - every command is answered with '=' (no '?'), every genmove with a vertex, pass or resign;
  - both engines see the same stones after every game (list_stones);
  - a game that ended with two passes gets the same final_score from both engines.
Games that hit the move cap, or end by resignation, are reported but their scores not compared.
"""
import argparse
import pathlib
import re
import subprocess
import sys
import time

GNUGO = "/usr/games/gnugo"
VERTEX = re.compile(r"(?i)^([a-hj-t](1[0-9]|[1-9])|pass|resign)$")


class ProtocolError(Exception):
    pass


class Engine:
    """One GTP engine over pipes: send() returns the result text or raises ProtocolError."""

    def __init__(self, name, argv):
        self.name = name
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, bufsize=1)
        self.next_id = 1

    def send(self, command, may_fail=False):
        cid = self.next_id
        self.next_id += 1
        try:
            self.proc.stdin.write(f"{cid} {command}\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            raise ProtocolError(f"{self.name}: cannot send '{command}': {e}")
        lines = []
        while True:
            line = self.proc.stdout.readline()
            if line == "":
                raise ProtocolError(f"{self.name}: died or closed its output after '{command}'")
            line = line.rstrip("\r\n")
            if line == "" and lines:
                break
            if line != "" or lines:
                lines.append(line)
        head = lines[0]
        m = re.match(r"^([=?])(\d*)\s?(.*)$", head)
        if not m:
            raise ProtocolError(f"{self.name}: malformed response to '{command}': {head!r}")
        if m.group(2) != str(cid):
            raise ProtocolError(f"{self.name}: response id {m.group(2)!r} to '{cid} {command}'")
        text = "\n".join([m.group(3)] + lines[1:]).strip()
        if m.group(1) == "?" and not may_fail:
            raise ProtocolError(f"{self.name}: '{command}' failed: {text}")
        return text

    def close(self):
        try:
            self.send("quit")
        except ProtocolError:
            pass
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def score_value(s):
    """'B+3.5' -> 3.5, 'W+2.0' -> -2.0, '0' -> 0.0 (positive: black wins)."""
    s = s.strip()
    if s in ("0", "Draw", "0.0"):
        return 0.0
    m = re.match(r"^([BW])\+(\d+(\.\d+)?)$", s)
    if not m:
        raise ProtocolError(f"unexpected final_score {s!r}")
    v = float(m.group(2))
    return v if m.group(1) == "B" else -v


def play_game(rocks_bin, rocks_color, seed, max_moves, verbose):
    """Plays one game; returns a dict with the outcome. Raises ProtocolError on protocol errors."""
    rocks = Engine("rocks", [rocks_bin, "gtp", "--seed", str(seed)])
    gnugo = Engine("gnugo", [GNUGO, "--mode", "gtp", "--level", "1", "--seed", str(seed),
                             "--chinese-rules", "--positional-superko", "--capture-all-dead"])
    try:
        for e in (rocks, gnugo):
            e.send("boardsize 9")
            e.send("clear_board")
            e.send("komi 7.5")
        rocks.send("rocks-rules chinese")
        players = {rocks_color: rocks, ("white" if rocks_color == "black" else "black"): gnugo}
        color, passes, moves, resigned = "black", 0, 0, None
        while passes < 2 and moves < max_moves:
            mover = players[color]
            other = players["white" if color == "black" else "black"]
            move = mover.send(f"genmove {color}")
            if not VERTEX.match(move):
                raise ProtocolError(f"{mover.name}: genmove {color} answered {move!r}")
            if verbose:
                print(f"  {moves + 1:3d} {color} ({mover.name}): {move}")
            if move.lower() == "resign":
                resigned = color
                break
            other.send(f"play {color} {move}")
            passes = passes + 1 if move.lower() == "pass" else 0
            moves += 1
            color = "white" if color == "black" else "black"
        for c in ("black", "white"):
            a = sorted(rocks.send(f"list_stones {c}").upper().split())
            b = sorted(gnugo.send(f"list_stones {c}").upper().split())
            if a != b:
                raise ProtocolError(f"the engines disagree on the {c} stones:\n  rocks {a}\n  gnugo {b}")
        result = {"moves": moves, "resigned": resigned, "ended": passes >= 2,
                  "rocks_score": rocks.send("final_score"), "gnugo_score": gnugo.send("final_score")}
        return result
    finally:
        rocks.close()
        gnugo.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("rocks")
    ap.add_argument("--games", type=int, default=2, help="games; rocks alternates colours (default 2)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the first game (default 1)")
    ap.add_argument("--max-moves", type=int, default=400, help="move cap per game (default 400)")
    ap.add_argument("--verbose", action="store_true", help="print every move")
    args = ap.parse_args()
    if not pathlib.Path(GNUGO).exists():
        print(f"gtp_vs_gnugo: {GNUGO} not found (make deps installs it)")
        return 1
    failures = 0
    t0 = time.monotonic()
    for g in range(args.games):
        rocks_color = "black" if g % 2 == 0 else "white"
        seed = args.seed + g
        label = f"game {g + 1} (rocks {rocks_color}, seed {seed})"
        try:
            r = play_game(args.rocks, rocks_color, seed, args.max_moves, args.verbose)
        except ProtocolError as e:
            print(f"FAIL {label}: {e}")
            failures += 1
            continue
        if r["resigned"]:
            how = f"{r['resigned']} resigned"
        elif r["ended"]:
            how = "two passes"
        else:
            how = f"move cap {args.max_moves}"
        line = f"{label}: {r['moves']} moves, {how}; final_score rocks {r['rocks_score']}, gnugo {r['gnugo_score']}"
        if r["ended"] and score_value(r["rocks_score"]) != score_value(r["gnugo_score"]):
            print(f"FAIL {line}: the scores differ")
            failures += 1
        else:
            print(f"ok   {line}")
    print(f"gtp_vs_gnugo: {args.games - failures} of {args.games} games clean in {time.monotonic() - t0:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
