#!/usr/bin/python3
"""make_net.py — fixture for the tests/play scripts: a tiny trained 9x9 GoResNet.

Usage: make_net.py ROCKS_BINARY FOLDER

100 GNU Go games (`rocks data gnugo`, level 1; ~95 s on two cores) and 2000 steps of
`rocks train` (b2c32, batch 64; ~20 s): the player of vs_random.py and analyze.py (policy top-1
~30% on its own games); and 10 steps of a b6c64 on the same games, the realistic-size network
of time_game.py. Existing networks are reused.
"""
import sys

from gtpclient import make_net, make_time_net

if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    make_net(sys.argv[1], sys.argv[2])
    make_time_net(sys.argv[1], sys.argv[2])
