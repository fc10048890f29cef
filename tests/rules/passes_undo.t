% Passes, game end, undo, setup stones and the history.

% two consecutive passes end the game; a move in between resets the count
boardsize 5
noundo
play b pass
gameover 0
toplay w
play w c3
play b pass
gameover 0
play w pass
gameover 1
toplay b
undo
gameover 0
toplay w
legal w pass 1
legal b pass 1

% white may move first (GTP allows either colour), and the same colour twice
boardsize 5
play w c3
toplay b
play w d3
toplay b
expect
. . . . .
. . . . .
. . O O .
. . . . .
. . . . .
undo
undo
toplay b
noundo

% undo of a multi-stone capture restores the stones and the count
boardsize 5
board
. . . . .
. X X . .
X O O . .
. X X . .
. . . . .
play b d3
captures b 2
undo
expect
. . . . .
. X X . .
X O O . .
. X X . .
. . . . .
captures b 0
legal w d3 1
% undo walks back through setup stones too, down to the empty board
undo
undo
undo
undo
undo
undo
undo
expect
. . . . .
. . . . .
. . . . .
. . . . .
. . . . .
noundo

% the setup position is part of the history: a move that recreates it is illegal
boardsize 5
board
. . . . .
. X O . .
X O . O .
. X O . .
. . . . .
play b c3
% white's retake at b3 would recreate the setup position (ko and superko)
legal w b3 0
undo
% undo also restores the legality of the move that was undone
legal b c3 1

% a long sequence of moves undone one by one gives back each position
boardsize 3
play b b2
play w a1
play b b1
play w a2
play b a3
expect
X . .
. X .
. X .
captures b 2
undo
expect
. . .
O X .
O X .
undo
undo
expect
. . .
. X .
O . .
captures b 0
undo
undo
expect
. . .
. . .
. . .
noundo
