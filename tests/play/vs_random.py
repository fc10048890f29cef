#!/usr/bin/python3
"""vs_random.py — the network player beats the random player in 10 of 10 9x9 games.

Usage: vs_random.py ROCKS_BINARY FIXTURE_FOLDER [GAMES] [VISITS]

The player is `rocks gtp --model NET --visits 128 --resign -1` with the small trained network of
make_net.py (resignation off: this is about playing strength);
the opponent is `rocks gtp` without a search (uniformly random legal moves that do not fill
own eyes). Colours alternate, komi 7.5, Tromp-Taylor scoring (every stone on the board counts:
the player has to capture dead stones, not only surround them). Exits 1 unless every game is won.
"""
import sys
import time

from gtpclient import Engine, make_net, play_game


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rocks, folder = sys.argv[1], sys.argv[2]
    games = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    visits = int(sys.argv[4]) if len(sys.argv) > 4 else 128
    net = make_net(rocks, folder)
    wins, t0 = 0, time.time()
    for g in range(games):
        player = Engine([rocks, "gtp", "--model", str(net), "--visits", str(visits), "--resign", "-1", "--seed", str(g + 1),
                         "--quiet"])
        rand = Engine([rocks, "gtp", "--size", "9", "--seed", str(1000 + g)])
        pc = "B" if g % 2 == 0 else "W"
        black, white = (player, rand) if pc == "B" else (rand, player)
        try:
            winner, score, moves = play_game(black, white)
        finally:
            player.close()
            rand.close()
        won = winner == pc
        wins += won
        print(f"game {g + 1}: player {pc}, {len(moves)} moves, {score} -> {'win' if won else 'LOSS'}", flush=True)
    print(f"vs_random: {wins}/{games} won in {time.time() - t0:.1f} s ({visits} visits per move)")
    return 0 if wins == games else 1


if __name__ == "__main__":
    sys.exit(main())
