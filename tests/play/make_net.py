#!/usr/bin/python3
"""make_net.py — fixture for the tests/play scripts: a tiny trained 9x9 GoResNet.

Usage: make_net.py ROCKS_BINARY FOLDER

40 GNU Go games (`rocks data gnugo`, level 1) and 1000 steps of `rocks train` (b2c32, batch 64):
FOLDER/net.safetensors, the player of vs_random.py and analyze.py; and 10 steps of a b6c64 on
the same games: FOLDER/net-b6c64.safetensors, the realistic-size network of time_game.py.
About a minute on two cores; existing networks are reused.
"""
import sys

from gtpclient import make_net

if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    make_net(sys.argv[1], sys.argv[2])
    make_net(sys.argv[1], sys.argv[2], steps=10, model="b6c64", name="net-b6c64.safetensors")
