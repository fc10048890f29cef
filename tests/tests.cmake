# Test registration. Each test is a real program that exits non-zero on a wrong value.
# Labels: "slow" tests are skipped in the ASan run (they run in the release run).
set(ROCKS_PY /usr/bin/python3 CACHE FILEPATH "Python with numpy/pytest (Debian's)")

function(rocks_c_test name)
  if(EXISTS ${CMAKE_SOURCE_DIR}/tests/${name}.c)
    add_executable(${name} tests/${name}.c)
    target_link_libraries(${name} PRIVATE rocks_lib)
    add_test(NAME ${name} COMMAND ${name} ${ARGN} WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  endif()
endfunction()

rocks_c_test(test_board)
rocks_c_test(test_rules ${CMAKE_SOURCE_DIR}/tests/rules)
rocks_c_test(test_sgf)
rocks_c_test(test_gtp)
# test_proc: util/proc.h (spawn, GTP round trip, deadline, crash, quit ignored -> SIGKILL).
rocks_c_test(test_proc)
rocks_c_test(test_mcts)
# test_player: NN evaluator symmetries/softmax, NN genmove, size refusal, clocks, analysis commands.
rocks_c_test(test_player)

# Differential test against GNU Go over GTP (needs /usr/games/gnugo).
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/test_gnugo_diff.c)
  add_executable(test_gnugo_diff tests/test_gnugo_diff.c)
  target_link_libraries(test_gnugo_diff PRIVATE rocks_lib)
  add_test(NAME gnugo_diff_9x9 COMMAND test_gnugo_diff --size 9 --games 2000 --seed 1)
  add_test(NAME gnugo_diff_19x19 COMMAND test_gnugo_diff --size 19 --games 200 --seed 2)
  add_test(NAME gnugo_score COMMAND test_gnugo_diff --score --size 9 --games 50 --seed 3)
  set_tests_properties(gnugo_diff_9x9 gnugo_diff_19x19 gnugo_score PROPERTIES LABELS slow TIMEOUT 1800)
  add_test(NAME gnugo_diff_quick COMMAND test_gnugo_diff --size 9 --games 20 --seed 4)
endif()

# GTP transcripts and a whole game against GNU Go, driven through the real CLI.
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/gtp_transcripts.py)
  add_test(NAME gtp_transcripts COMMAND ${ROCKS_PY} ${CMAKE_SOURCE_DIR}/tests/gtp_transcripts.py $<TARGET_FILE:rocks>)
endif()
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/gtp_vs_gnugo.py)
  add_test(NAME gtp_vs_gnugo COMMAND ${ROCKS_PY} ${CMAKE_SOURCE_DIR}/tests/gtp_vs_gnugo.py $<TARGET_FILE:rocks>)
endif()

# Python: pytest over tests/python with the freshly built extension first on the path.
if(TARGET rocks_python AND EXISTS ${CMAKE_SOURCE_DIR}/tests/python)
  add_test(NAME pytest COMMAND ${ROCKS_PY} -m pytest -q -p no:cacheprovider ${CMAKE_SOURCE_DIR}/tests/python)
  set_tests_properties(pytest PROPERTIES ENVIRONMENT "PYTHONPATH=${CMAKE_BINARY_DIR}/python;ROCKS_BIN=$<TARGET_FILE:rocks>")
endif()

# nn ---------------------------------------------------------------------------------------
# test_nn: ops vs naive twins + finite differences, features, optimizers, checkpoint corruption.
# nn_torch: PyTorch reference (tests/nn/goresnet_ref.py) <-> C, fixtures generated into the build dir.
# test_nn_coordcheck: muP flat / SP not flat (slow under ASan: labelled slow).
rocks_c_test(test_nn ${CMAKE_BINARY_DIR})
# test_nn_train: the fast training path (Winograd kernels vs direct twins, fast vs reference model).
rocks_c_test(test_nn_train)
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/test_nn_torch.c)
  add_executable(test_nn_torch tests/test_nn_torch.c)
  target_link_libraries(test_nn_torch PRIVATE rocks_lib)
  add_test(NAME nn_torch COMMAND sh ${CMAKE_SOURCE_DIR}/tests/nn/run_torch_compare.sh ${ROCKS_PY}
           $<TARGET_FILE:test_nn_torch> ${CMAKE_BINARY_DIR}/nn_torch)
  set_tests_properties(nn_torch PROPERTIES TIMEOUT 300)
endif()
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/test_nn_coordcheck.c)
  rocks_c_test(test_nn_coordcheck)
  set_tests_properties(test_nn_coordcheck PROPERTIES LABELS slow TIMEOUT 600)
endif()
add_test(NAME nn_model_info COMMAND rocks model info --blocks 6 --channels 64 --size 9)
set_tests_properties(nn_model_info PROPERTIES PASS_REGULAR_EXPRESSION "forward +73\\.3[0-9]* MFLOP")
# nn: end ----------------------------------------------------------------------------------

# nn-infer ---------------------------------------------------------------------------------
# test_nn_infer: the fast inference path (folded BN, Winograd F(3x3,3x3), threads, both kernel
# sets) against the reference eval forward, 1e-3 relative on logits and values.
# nn_bench_smoke: `rocks bench nn` runs and prints a rate (tiny model, short).
rocks_c_test(test_nn_infer)
add_test(NAME nn_bench_smoke COMMAND rocks bench nn --model b1c16 --batch 1,3 --reps 1 --seconds 0.01)
set_tests_properties(nn_bench_smoke PROPERTIES PASS_REGULAR_EXPRESSION "b1c16 +3 +[0-9]")
# nn-infer: end ----------------------------------------------------------------------------

# data/train -------------------------------------------------------------------------------
# test_npz: .npz round trips, header parsing, atomic writes, truncation/corruption never crash.
# npz_numpy: numpy.load reads C-written archives and C reads numpy-written ones.
rocks_c_test(test_npz ${CMAKE_BINARY_DIR})
if(TARGET test_npz AND NOT ROCKS_SANITIZE)
  add_test(NAME npz_numpy COMMAND ${ROCKS_PY} ${CMAKE_SOURCE_DIR}/tests/data/npz_numpy.py
           $<TARGET_FILE:test_npz> ${CMAKE_BINARY_DIR}/npz_numpy)
endif()
# test_ds: records == feat_encode, shards round trip, symmetries, loader determinism/seek.
rocks_c_test(test_ds ${CMAKE_BINARY_DIR})
# data_import: a folder of good/malformed/unsupported SGFs -> shards + report (documented schema).
# data_gnugo_resume: kill -9 during `rocks data gnugo`, rerun == uninterrupted run, byte for byte.
add_test(NAME data_import COMMAND ${ROCKS_PY} ${CMAKE_SOURCE_DIR}/tests/data/import_check.py $<TARGET_FILE:rocks>
         ${CMAKE_BINARY_DIR}/data_import ${CMAKE_SOURCE_DIR}/docs/data-format.md ${CMAKE_SOURCE_DIR}/tests/sgf)
if(EXISTS /usr/games/gnugo)
  add_test(NAME data_gnugo_resume COMMAND ${ROCKS_PY} ${CMAKE_SOURCE_DIR}/tests/data/gnugo_resume.py
           $<TARGET_FILE:rocks> ${CMAKE_BINARY_DIR}/data_gnugo_resume ${CMAKE_SOURCE_DIR}/docs/data-format.md)
  set_tests_properties(data_gnugo_resume PROPERTIES TIMEOUT 300)
endif()
# train_resume: kill -9 `rocks train` twice at random steps, --resume: metrics rows (timing columns
# excepted) and the final model/optimizer state equal an uninterrupted run's; JSON config + flags.
if(TARGET test_ds)
  add_test(NAME train_resume COMMAND ${ROCKS_PY} ${CMAKE_SOURCE_DIR}/tests/train/resume_check.py $<TARGET_FILE:rocks>
           $<TARGET_FILE:test_ds> ${CMAKE_BINARY_DIR}/train_resume)
  set_tests_properties(train_resume PROPERTIES TIMEOUT 600)
endif()
# train_stream_twin: bench/torch_train.py's re-implementation of the loader (stream, symmetries,
# numpy features) prints the same samples as the C loader (test_ds --stream).
if(TARGET test_ds AND NOT ROCKS_SANITIZE)
  add_test(NAME train_stream_twin COMMAND ${ROCKS_PY} ${CMAKE_SOURCE_DIR}/tests/train/stream_twin.py
           $<TARGET_FILE:test_ds> ${CMAKE_BINARY_DIR}/train_stream_twin)
  set_tests_properties(train_stream_twin PROPERTIES TIMEOUT 300)
endif()
# data/train: end --------------------------------------------------------------------------

# match/heatmap ----------------------------------------------------------------------------
# test_match: the GTP referee against scripted engines (tests/play/fake_engine.py): scores,
# adjudication, forfeits, SGF/CSV records, resume, alternation, jobs, Wilson/Elo math.
rocks_c_test(test_match)
if(TARGET test_match)
  set_tests_properties(test_match PROPERTIES TIMEOUT 300)
endif()
# match_cli: `rocks match` rocks (random) vs GNU Go level 1 both ways, resume, `rocks eval` wiring.
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/play/match_cli.py AND EXISTS /usr/games/gnugo)
  add_test(NAME match_cli COMMAND ${ROCKS_PY} ${CMAKE_SOURCE_DIR}/tests/play/match_cli.py $<TARGET_FILE:rocks>)
  set_tests_properties(match_cli PROPERTIES TIMEOUT 300)
endif()
# heatmap: `rocks heatmap` with a 1-step b1c8 checkpoint: positions.json, N+1 PNGs + contact
# sheet (without the Python package, e.g. under ASan: positions.json only).
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/play/heatmap_cli.py AND EXISTS /usr/games/gnugo)
  if(TARGET rocks_python)
    add_test(NAME heatmap COMMAND ${ROCKS_PY} ${CMAKE_SOURCE_DIR}/tests/play/heatmap_cli.py $<TARGET_FILE:rocks>)
  else()
    add_test(NAME heatmap COMMAND ${ROCKS_PY} ${CMAKE_SOURCE_DIR}/tests/play/heatmap_cli.py $<TARGET_FILE:rocks> --no-render)
  endif()
  set_tests_properties(heatmap PROPERTIES TIMEOUT 300)
endif()
# match/heatmap: end -----------------------------------------------------------------------
# selfplay ---------------------------------------------------------------------------------
# test_selfplay: determinism, G=1 vs G=4 batching, step API == mcts_search, PCR targets and the
# shard's policy_dist, resign-disabled share and false positives, episode files, spool + resend.
# zero_smoke (slow): `rocks zero` for about a minute; run folder (CSV, PNGs, report.md), Ctrl-C,
# --resume (tests/selfplay/zero_smoke.py).
rocks_c_test(test_selfplay ${CMAKE_BINARY_DIR})
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/selfplay/zero_smoke.py)
  add_test(NAME zero_smoke COMMAND ${ROCKS_PY} ${CMAKE_SOURCE_DIR}/tests/selfplay/zero_smoke.py $<TARGET_FILE:rocks>
           ${CMAKE_BINARY_DIR}/zero_smoke)
  set_tests_properties(zero_smoke PROPERTIES LABELS slow TIMEOUT 600)
endif()
# selfplay: end ----------------------------------------------------------------------------
# replay -------------------------------------------------------------------------------------
# test_replay: rate limiter, episodes, store/WAL/snapshot, in-process server + C client.
rocks_c_test(test_replay)
if(TEST test_replay)
  set_tests_properties(test_replay PROPERTIES TIMEOUT 300)
endif()
# replay_service: a stock Python grpcio client against `rocks replay serve` (stubs generated at
# test time): errors, parked calls, 8 pushers + 1 sampler, kill -9 + restart, SIGTERM.
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/replay/test_replay_service.py)
  add_test(NAME replay_service COMMAND ${ROCKS_PY} ${CMAKE_SOURCE_DIR}/tests/replay/test_replay_service.py
           $<TARGET_FILE:rocks> ${CMAKE_SOURCE_DIR}/src/replay)
  set_tests_properties(replay_service PROPERTIES TIMEOUT 300)
endif()
# exp --------------------------------------------------------------------------------------
# exp_pytest: the research harness (tests/exp): experiment folders and slugs, the job pool's limit
# (fake jobs recording their overlap), resume, FLOP budget, the Slurm executor (fake sbatch/squeue
# on PATH), power-law/bootstrap/frontier/LR fits on synthetic data, plots, the sweep's budget on a
# fake objective and a real tiny `rocks sweep`, and `rocks experiment new` + its template end to end.
# exp_cli: cmd_experiment.c's errors and a real `rocks experiment new` (also under ASan).
if(TARGET rocks_python AND EXISTS ${CMAKE_SOURCE_DIR}/tests/exp)
  add_test(NAME exp_pytest COMMAND ${ROCKS_PY} -m pytest -q -p no:cacheprovider ${CMAKE_SOURCE_DIR}/tests/exp)
  set_tests_properties(exp_pytest PROPERTIES TIMEOUT 300
                       ENVIRONMENT "PYTHONPATH=${CMAKE_BINARY_DIR}/python;ROCKS_BIN=$<TARGET_FILE:rocks>")
endif()
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/exp/cli_check.py)
  add_test(NAME exp_cli COMMAND ${ROCKS_PY} ${CMAKE_SOURCE_DIR}/tests/exp/cli_check.py $<TARGET_FILE:rocks>
           ${CMAKE_BINARY_DIR}/exp_cli)
endif()
# exp: end ---------------------------------------------------------------------------------
# play -------------------------------------------------------------------------------------
# The network player through the real CLI (tests/play): play_fixture trains the tiny networks
# once per build dir (GNU Go games + rocks train); vs_random: 10/10 wins against random moves;
# analyze: lz-/kata-analyze and genmove_analyze formats, termination, pv legality; time_game:
# whole games under time_settings never overrun the clock.
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/play/make_net.py)
  set(ROCKS_PLAY_DIR ${CMAKE_BINARY_DIR}/play-fixture)
  add_test(NAME play_fixture COMMAND ${ROCKS_PY} ${CMAKE_SOURCE_DIR}/tests/play/make_net.py $<TARGET_FILE:rocks> ${ROCKS_PLAY_DIR})
  set_tests_properties(play_fixture PROPERTIES FIXTURES_SETUP play_net)
  foreach(t vs_random analyze time_game)
    add_test(NAME play_${t} COMMAND ${ROCKS_PY} ${CMAKE_SOURCE_DIR}/tests/play/${t}.py $<TARGET_FILE:rocks> ${ROCKS_PLAY_DIR})
    set_tests_properties(play_${t} PROPERTIES FIXTURES_REQUIRED play_net)
  endforeach()
  set_tests_properties(play_fixture play_vs_random play_analyze play_time_game PROPERTIES LABELS slow TIMEOUT 600)
  set_tests_properties(play_fixture play_vs_random play_analyze play_time_game PROPERTIES RUN_SERIAL TRUE)
endif()
# play: end --------------------------------------------------------------------------------
# selfplay_spool: `rocks selfplay --replay` while the real service is killed (SIGKILL) and
# restarted: every game reaches it, the spool drains (tests/selfplay/spool_service.py).
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/selfplay/spool_service.py)
  add_test(NAME selfplay_spool COMMAND ${ROCKS_PY} ${CMAKE_SOURCE_DIR}/tests/selfplay/spool_service.py $<TARGET_FILE:rocks>
           ${CMAKE_BINARY_DIR}/selfplay_spool)
  set_tests_properties(selfplay_spool PROPERTIES TIMEOUT 300)
endif()
