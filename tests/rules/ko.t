% Ko: simple ko, ko threats, positional superko cycles that simple ko allows.

% simple ko: black takes, white may not retake at once; after a threat exchange white may
boardsize 5
board
. . . . .
. X O . .
X O . O .
. X O . .
. . . . .
play b c3
expect
. . . . .
. X O . .
X . X O .
. X O . .
. . . . .
captures b 1
ko b3
legal w b3 0 ko|superko
% the ko only binds the captured side's immediate retake
legal b b3 1
% threat and answer
play w e5
ko none
play b e4
legal w b3 1
play w b3
expect
. . . . O
. X O . X
X O . O .
. X O . .
. . . . .
captures w 1
ko c3
legal b c3 0 ko|superko
% undo restores the ko and the capture counts
undo
ko none
captures w 0
legal w b3 1
undo
undo
ko b3
legal w b3 0
undo
expect
. . . . .
. X O . .
X O . O .
. X O . .
. . . . .
captures b 0
ko none
legal b c3 1

% the same ko under simple-ko rules
boardsize 5
rules chinese ko=simple
board
. . . . .
. X O . .
X O . O .
. X O . .
. . . . .
play b c3
legal w b3 0 ko
play w pass
% a pass lifts the simple ko ...
ko none
play b pass
gameover 1
legal w b3 1
play w b3
expect
. . . . .
. X O . .
X O . O .
. X O . .
. . . . .

% ... but under positional superko the retake after two passes still recreates the board
boardsize 5
rules chinese
board
. . . . .
. X O . .
X O . O .
. X O . .
. . . . .
play b c3
play w pass
play b pass
legal w b3 0 superko
legal w e5 1

% ko on the edge, the ko point in the corner
boardsize 5
board
. . . . .
. . . . .
. . . . .
X O . . .
. X O . .
play w a1
expect
. . . . .
. . . . .
. . . . .
X O . . .
O . O . .
captures w 1
ko b1
legal b b1 0
legal b e5 1

% a capture of one stone by a stone that then has two liberties is no ko
boardsize 5
board
. . . . .
. . . . .
. X . . .
X O . . .
. X . . .
play b c2
expect
. . . . .
. . . . .
. X . . .
X . X . .
. X . . .
ko none
legal w b2 0 suicide|superko

% Triple ko (three independent edge kos): black takes K1, white K2, black K3, white K1,
% black K2; white's retake at K3 would recreate the starting position.
boardsize 9
board
X O . O . . . . .
. X O . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. X O . . X O . .
X O . O X . X O .
play b c1
play w f1
play b c9
play w b1
play b g1
expect
X . X O . . . . .
. X O . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. X O . . X O . .
X O . O X . X O .
ko f1
legal w b9 0 superko
legal w f1 0
legal w e5 1
play w e5
play b e4
% after a stone elsewhere the cycle is broken
legal w b9 1

% the same cycle under simple ko goes round
boardsize 9
rules tromp-taylor ko=simple
board
X O . O . . . . .
. X O . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. X O . . X O . .
X O . O X . X O .
play b c1
play w f1
play b c9
play w b1
play b g1
legal w b9 1
play w b9
expect
X O . O . . . . .
. X O . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. X O . . X O . .
X O . O X . X O .
captures b 3
captures w 3
play b c1
legal w c1 0 occupied

% Sending two, returning one: black throws in a second stone, white takes two, black
% would take back one and recreate the position.
boardsize 5
board
. . . . .
. . . . .
. . . . .
X O O . .
. X . O .
play b c1
play w a1
expect
. . . . .
. . . . .
. . . . .
X O O . .
O . . O .
captures w 2
ko none
legal b b1 0 superko
legal b c1 1
play b e5
play w e4
legal b b1 1
play b b1
expect
. . . . X
. . . . O
. . . . .
X O O . .
. X . O .
captures b 1

% ... which simple ko allows
boardsize 5
rules chinese ko=simple
board
. . . . .
. . . . .
. . . . .
X O O . .
. X . O .
play b c1
play w a1
legal b b1 1
play b b1
expect
. . . . .
. . . . .
. . . . .
X O O . .
. X . O .
