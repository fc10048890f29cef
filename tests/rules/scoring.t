% Tromp-Taylor area scoring: stones plus empty points that reach only that colour;
% komi goes to white. score = board_score_string, scorevalue = board_score (B - W - komi).

% empty boards
boardsize 9
komi 7.5
score W+7.5
area 0 0
scorevalue -7.5
owner
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
boardsize 9
score 0
scorevalue 0
boardsize 9
komi -2.5
score B+2.5
boardsize 19
komi 7.5
score W+7.5
boardsize 5
komi 0.5
score W+0.5

% one stone owns the whole board
boardsize 9
komi 7.5
play b e5
score B+73.5
area 81 0
play w pass
play b pass
gameover 1
score B+73.5

% territory and dame: the column between the walls touches both colours
boardsize 5
komi 0.5
board
. X . O .
. X . O .
. X . O .
. X . O .
. X . O .
area 10 10
score W+0.5
owner
X X . O O
X X . O O
X X . O O
X X . O O
X X . O O
komi 0
score 0
board
. X . O .
. X . O .
. X . O .
. X . O .
. X . O .
scorevalue 0

% one black stone touching white's area spoils it: all of it becomes dame
boardsize 5
komi 0.5
board
. X . O .
. X . O .
. X . O X
. X . O .
. X . O .
area 11 5
score B+5.5
owner
X X . O .
X X . O .
X X . O X
X X . O .
X X . O .

% Seki with one eye each: black {a2,b2,c2,b1} and white {d2,e2,f2,d1,f1} share c1, neither can
% fill it. The eyes a1 and e1 count, the shared liberty is dame.
boardsize 6
komi 0.5
board
. . O X . .
. . O X . .
. . O X . .
O O O X X X
X X X O O O
. X . O . O
area 17 18
score W+1.5
owner
O O O X X X
O O O X X X
O O O X X X
O O O X X X
X X X O O O
X X . O O O
legal b c1 1
legal w c1 1
legal w a1 0 suicide|superko
legal b e1 0 suicide|superko
% black fills the shared liberty (self-atari) and white captures five
play b c1
area 18 18
play w a1
expect
. . O X . .
. . O X . .
. . O X . .
O O O X X X
. . . O O O
O . . O . O
captures w 5
area 12 24
score W+12.5

% Empty regions touching both colours are dame, wherever they are
boardsize 7
komi 0
board
. . . . . . .
. . . . . . .
X X X X X X X
O O O O O O X
X X X O . . X
X O O O O O X
. . X X X . X
% (dead or alive does not matter to Tromp-Taylor: stones on the board count as they are)
owner
X X X X X X X
X X X X X X X
X X X X X X X
O O O O O O X
X X X O . . X
X O O O O O X
. . X X X . X

% jigo with integer komi
boardsize 4
komi 0
board
X X O O
X X O O
X X O O
X X O O
score 0
boardsize 5
komi 1
board
. X O . .
. X O . .
. . X O .
. . X O .
. . X O .
area 13 12
score 0
komi 2
board
. X O . .
. X O . .
. . X O .
. . X O .
. . X O .
score W+1
scorevalue -1
