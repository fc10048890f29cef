% Tiny boards: 2x2 (captures, suicide, superko are all close together there) and 3x3.
% These cases build their positions with moves from the empty board, so the history is the game.

% the empty 2x2 board
boardsize 2
expect
. .
. .
legalcount b 5
legalcount w 5
score 0
area 0 0
gameover 0

% a 2x2 game: white captures two, black retakes nothing, superko forbids black's retake
boardsize 2
komi 0.5
play b a1
play w b2
legalcount b 3
play b a2
play w b1
expect
. O
. O
captures w 2
play b a1
play w a2
expect
O O
. O
captures w 3
% black a1 would capture three and recreate the position after move 1
legal b a1 0 superko
legalcount b 1
% white a1 fills the board: suicide of everything, the empty board recurs
legal w a1 0
legalcount w 1
play b pass
gameover 0
play w pass
gameover 1
score W+4.5
area 0 4
owner
O O
O O

% the same game under simple ko: black may retake
boardsize 2
rules tromp-taylor ko=simple
play b a1
play w b2
play b a2
play w b1
play b a1
play w a2
legal b a1 1
play b a1
expect
. .
X .
captures b 3
captures w 3
% simple ko: one stone took one stone? no, it took three: no ko
ko none
legal w a2 1
legal w b1 1
legal w b2 1

% on 2x2 two black groups can never be captured at once (the white stone between them would
% have no liberty); on 3x3 white b1 takes both corners
boardsize 3
play b a1
play w a2
play b c1
play w c2
play b c3
play w b1
expect
. . X
O . O
. O .
captures w 2
legal b a1 0
legal b c1 0
legal w a1 1
eye a1 w 1
eye c1 w 1
eye a1 b 0
eye b2 w 0
scorevalue -4
area 1 5
owner
. . X
O . O
O O O

% filling the whole board with one colour: tromp-taylor suicide, but the empty board recurs
boardsize 2
play b a1
play w pass
play b a2
play w pass
play b b1
play w pass
legal b b2 0 superko|suicide
legal w b2 1
play w b2
expect
. O
. .
captures w 3
score W+4
% same under chinese rules
boardsize 2
rules chinese
play b a1
play w pass
play b a2
play w pass
play b b1
play w pass
legal b b2 0 suicide

% 3x3: a lone black stone owns the board
boardsize 3
komi 7.5
play b b2
score B+1.5
area 9 0
play w a1
score W+7.5
area 1 1
owner
. . .
. X .
O . .
