% Suicide. Tromp-Taylor: a multi-stone suicide is legal and removes the suicided stones
% (a single-stone suicide recreates the current position, so it is illegal under superko).
% Chinese: every suicide is illegal. Captures are resolved before suicide.

% single-stone suicide in the corner and in the centre: illegal under tromp-taylor
boardsize 5
rules tromp-taylor
board
. O . . .
O . . . .
. . . O .
. . O . O
. . . O .
legal b a5 0
legal b d2 0
legal w a5 1
legal w d2 1
legal b c5 1
% the board is unchanged by an illegal attempt (the runner checks it too)
expect
. O . . .
O . . . .
. . . O .
. . O . O
. . . O .

% the same under chinese rules
boardsize 5
rules chinese
board
. O . . .
O . . . .
. . . O .
. . O . O
. . . O .
legal b a5 0 suicide
legal b d2 0 suicide
legal w a5 1

% multi-stone suicide is legal under tromp-taylor and removes the own stones
boardsize 5
rules tromp-taylor
board
X . O . .
O O O . .
. . . . .
. . . . .
. . . . .
legal b b5 1
legalcount b 21
play b b5
expect
. . O . .
O O O . .
. . . . .
. . . . .
. . . . .
% suicided stones count as captures for the opponent (docs/rules.md)
captures w 2
captures b 0
toplay w
ko none

% ... and illegal under chinese rules
boardsize 5
rules chinese
board
X . O . .
O O O . .
. . . . .
. . . . .
. . . . .
legal b b5 0 suicide
legal w b5 1
legalcount b 20

% a suicide joining two own groups (three stones die)
boardsize 5
board
X . X O .
O O O O .
. . . . .
. . . . .
. . . . X
legal b b5 1
play b b5
expect
. . . O .
O O O O .
. . . . .
. . . . .
. . . . X
rules chinese
board
X . X O .
O O O O .
. . . . .
. . . . .
. . . . X
legal b b5 0 suicide

% white multi-stone suicide along the first line, black wall above
boardsize 6
board
. . . . . .
. . . . . .
. . . . . .
. . . . . .
X X X X X X
O O O O . X
legal w e1 1
play w e1
expect
. . . . . .
. . . . . .
. . . . . .
. . . . . .
X X X X X X
. . . . . X
undo
expect
. . . . . .
. . . . . .
. . . . . .
. . . . . .
X X X X X X
O O O O . X
% the other colour filling the same point captures instead
play b e1
expect
. . . . . .
. . . . . .
. . . . . .
. . . . . .
X X X X X X
. . . . X X
captures b 4

% suicide with custom rules: positional superko off (simple ko), suicide still legal
boardsize 5
rules tromp-taylor ko=simple
board
X . O . .
O O O . .
. . . . .
. . . . .
. . . . .
legal b b5 1
legal b e5 1
play b b5
expect
. . O . .
O O O . .
. . . . .
. . . . .
. . . . .

% A suicide may recreate a colouring that existed only between two setup stones: those do not
% count for superko (docs/rules.md), only the position after the last setup stone does.
% Setup order is reading order: d2, e2, c1, then e1; black d1 leaves d2, e2, c1.
boardsize 5
board
. . . . .
. . . . .
. . . . .
. . . O O
. . O . X
legal b d1 1
play b d1
expect
. . . . .
. . . . .
. . . . .
. . . O O
. . O . .
captures w 2
% ... but the position after the last setup stone does count: black e1 would recreate it
legal b e1 0 superko
legal w e1 1
