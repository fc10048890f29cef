% board_is_eye: an empty point whose on-board neighbours are all of the colour, with at most
% one opponent diagonal in the centre and none on the edge or in the corner.

boardsize 7
board
. X . . . . .
X . X . . . .
. X . . . . .
. . . . . . .
. . . . . . .
. . . . . . .
. . . . . . .
eye b6 b 1
eye b6 w 0
eye a7 b 1
eye c7 b 0
eye e4 b 0
eye b7 b 0

% one opponent diagonal in the centre is still an eye, two are not
boardsize 7
board
. . . . . . .
. . X O . . .
. X . X . . .
. . X . . . .
. . . . . . .
. . . . . . .
. . . . . . .
eye c5 b 1
boardsize 7
board
. . . . . . .
. O X O . . .
. X . X . . .
. O X . . . .
. . . . . . .
. . . . . . .
. . . . . . .
eye c5 b 0

% on the edge one opponent diagonal is enough to spoil it; in the corner likewise
boardsize 7
board
. . . . . . .
. . . . . . .
. . . . . . .
. . . . . . .
. . . . . . .
. X . . . . .
X . X . . O .
eye b1 b 1
boardsize 7
board
. . . . . . .
. . . . . . .
. . . . . . .
. . . . . . .
. . . . . . .
O X . . . . .
X . X . . . .
eye b1 b 0
boardsize 7
board
. . . . . . .
. . . . . . .
. . . . . . .
. . . . . . .
. . . . . . .
O O . . . . .
. O . . . . .
eye a1 w 1
boardsize 7
board
. . . . . . .
. . . . . . .
. . . . . . .
. . . . . . .
. . . . . . .
O O . . . . .
X O . . . . .
eye a1 w 0
boardsize 7
board
. . . . . . .
. . . . . . .
. . . . . . .
. . . . . . .
. . . . . . .
O X . . . . .
. O . . . . .
eye a1 w 0
