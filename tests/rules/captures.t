% Captures: single and multi-stone, edges and corners, several groups at once,
% capture before suicide, 1-liberty edge groups, snapback.

% single stone in the centre
boardsize 5
board
. . . . .
. . X . .
. X O . .
. . X . .
. . . . .
legal b d3 1
play b d3
expect
. . . . .
. . X . .
. X . X .
. . X . .
. . . . .
captures b 1
captures w 0
toplay w
ko none

% a move next to a group with liberties left captures nothing
boardsize 5
board
. . . . .
. . X . .
. X O . .
. . . . .
. . . . .
play b d3
expect
. . . . .
. . X . .
. X O X .
. . . . .
. . . . .
captures b 0

% two-stone group
boardsize 5
board
. . . . .
. X X . .
X O O . .
. X X . .
. . . . .
play b d3
expect
. . . . .
. X X . .
X . . X .
. X X . .
. . . . .
captures b 2
captures w 0

% corner capture (a1) and then the other corner (e5) by white
boardsize 5
board
. . . . X
. . . . O
. . . . .
X . . . .
O . . . .
play b b1
expect
. . . . X
. . . . O
. . . . .
X . . . .
. X . . .
captures b 1
play w d5
expect
. . . O .
. . . . O
. . . . .
X . . . .
. X . . .
captures w 1
captures b 1

% edge capture (first line, not a corner)
boardsize 5
board
. . . . .
. . . . .
. . . . .
. . . . .
. X O X .
play b c2
expect
. . . . .
. . . . .
. . . . .
. . X . .
. X . X .
captures b 1

% four separate white stones captured by one black move
boardsize 5
board
. X O X .
X O . O X
. X O X .
. . X . .
. . . . .
play b c4
expect
. X . X .
X . X . X
. X . X .
. . X . .
. . . . .
captures b 4
captures w 0

% three groups of different sizes captured at once, white capturing
boardsize 6
board
O X . X X O
. O X O O .
. . O . . .
. . . . . .
. . . . . .
. . . . . .
legal w c6 1
play w c6
expect
O . O . . O
. O . O O .
. . O . . .
. . . . . .
. . . . . .
. . . . . .
captures w 4
captures b 0

% capture comes before suicide: black a5 has no liberty of its own but captures b5,b4
boardsize 5
rules chinese
board
. O X . .
X O X . .
O X . . .
. . . . .
. . . . .
legal b a5 1
play b a5
expect
X . X . .
X . X . .
O X . . .
. . . . .
. . . . .
captures b 2

% a long first-line group with one liberty
boardsize 6
board
. . . . . .
. . . . . .
. . . . . .
. . . . . .
X X X X X .
O O O O O .
legal w f1 1
legal b f1 1
play b f1
expect
. . . . . .
. . . . . .
. . . . . .
. . . . . .
X X X X X .
. . . . . X
captures b 5

% white extends a first-line group in atari: still one liberty, then captured
boardsize 6
board
. . . . . .
. . . . . .
. . . . . .
. . . . . .
X X X X . .
O O O . . .
play w d1
expect
. . . . . .
. . . . . .
. . . . . .
. . . . . .
X X X X . .
O O O O . .
legal w d1 0 occupied
legal b d1 0 occupied
play b e1
expect
. . . . . .
. . . . . .
. . . . . .
. . . . . .
X X X X . .
. . . . X .
captures b 4
captures w 0

% snapback: black throws in at b1, white captures with c1, black retakes five stones
boardsize 5
board
. . . . .
. . . . .
X X X . .
O O O X .
O . . X .
legal b b1 1
play b b1
expect
. . . . .
. . . . .
X X X . .
O O O X .
O X . X .
play w c1
expect
. . . . .
. . . . .
X X X . .
O O O X .
O . O X .
captures w 1
ko none
legal b b1 1
play b b1
expect
. . . . .
. . . . .
X X X . .
. . . X .
. X . X .
captures b 5
captures w 1
ko none
undo
expect
. . . . .
. . . . .
X X X . .
O O O X .
O . O X .
captures b 0
captures w 1
