#!/usr/bin/python3
"""time_game.py — time management never loses on time.

Usage: time_game.py ROCKS_BINARY FIXTURE_FOLDER

A b6c64 network (briefly trained on the fixture's games: the size matters for the timing, not
the strength) plays whole 9x9 games against the random player with an unreachable visit target
(--visits 100000000), so that only the clock stops its searches:
  1. absolute time, `time_settings 5 0 0`: the referee measures every genmove's wall time
     (process round trip included) and tells the engine its remaining time with `time_left`
     before each move, as servers do; the sum must stay below 5 s;
  2. byo-yomi only, `time_settings 0 0.5 1` (0.5 s per move, --lag 0.1): every genmove below
     0.5 s (40 moves);
  3. main time then Canadian byo-yomi, `time_settings 1 0.6 3` without time_left (the engine
     keeps its own clock): main time plus periods never overrun (80 moves).
Exits 1 on any overrun.
"""
import sys

from gtpclient import Engine, make_time_net, play_game

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL", msg, flush=True)


class Clock:
    """The referee's view of the player's clock: time_settings M B S semantics."""

    def __init__(self, main, byo, stones):
        self.main, self.byo, self.stones = main, byo, stones
        self.left, self.period_stones, self.in_byo = main, 0, False
        if main <= 0:
            self.left, self.period_stones, self.in_byo = byo, stones, True
        self.overrun = False

    def spend(self, dt):
        self.left -= dt
        if not self.in_byo:
            if self.left >= 0:
                return
            if self.stones == 0:
                self.overrun = True
                return
            self.in_byo, self.left, self.period_stones = True, self.byo + self.left, self.stones
        if self.left < 0:
            self.overrun = True
            return
        self.period_stones -= 1
        if self.period_stones == 0:
            self.left, self.period_stones = self.byo, self.stones


def run(rocks, net, settings, player_color, send_time_left, seed, max_moves=300, extra=()):
    player = Engine([rocks, "gtp", "--model", str(net), "--visits", "100000000", "--resign", "-1",
                     "--seed", str(seed), "--quiet", *extra])
    rand = Engine([rocks, "gtp", "--size", "9", "--seed", str(100 + seed)])
    main, byo, stones = settings
    player.cmd(f"time_settings {main} {byo} {stones}")
    clock = Clock(main, byo, stones)
    times = []

    def before(color):
        if color == player_color and send_time_left:
            player.cmd(f"time_left {color} {max(clock.left, 0):.3f} {clock.period_stones}")

    def on_genmove(color, mv, dt):
        if color == player_color:
            times.append(dt)
            clock.spend(dt)

    black, white = (player, rand) if player_color == "B" else (rand, player)
    # play_game has no pre-move hook: wrap the player's cmd to send time_left first
    orig = player.cmd

    def cmd(text, timeout=120):
        if text.startswith("genmove"):
            before(text.split()[1])
        return orig(text, timeout)

    player.cmd = cmd
    try:
        winner, score, moves = play_game(black, white, max_moves=max_moves, on_genmove=on_genmove)
    finally:
        player.close()
        rand.close()
    label = f"time_settings {main} {byo} {stones}" + (" + time_left" if send_time_left else "")
    print(f"  {label}: {len(times)} genmoves, total {sum(times):.3f} s, longest {max(times):.3f} s, "
          f"{score}", flush=True)
    check(not clock.overrun, f"{label}: lost on time (total {sum(times):.3f} s)")
    return times


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    rocks, folder = sys.argv[1], sys.argv[2]
    net = make_time_net(rocks, folder)
    t = run(rocks, net, (5, 0, 0), "B", True, 1)
    check(sum(t) < 5, f"absolute 5 s: {sum(t):.3f} s used")
    t = run(rocks, net, (0, 0.5, 1), "W", True, 2, max_moves=40, extra=("--lag", "0.1"))
    check(max(t) < 0.5, f"byo-yomi 0.5 s: longest move {max(t):.3f} s")
    run(rocks, net, (1, 0.6, 3), "B", False, 3, max_moves=80)
    print(f"time_game: {'FAILED ' + str(len(failures)) if failures else 'all passed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
