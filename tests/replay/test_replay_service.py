#!/usr/bin/python3
"""End-to-end tests of `rocks replay serve` through a stock Python grpcio client.

Usage: test_replay_service.py ROCKS_BINARY PROTO_DIR

Stubs are generated at test time (protoc + grpc_python_plugin) from src/replay/replay.proto into
a temporary folder. Each test starts its own server (`--listen 127.0.0.1:0`; the port is read
from the server's first stdout line). Exits non-zero on the first failed assertion.

Covers: Push/Sample/Stats/Checkpoint from Python; unknown methods (UNIMPLEMENTED); malformed
protobuf and illegal episodes (INVALID_ARGUMENT, server keeps serving); deadline and cancel of a
parked Sample; a parked Sample released by a Push; 8 concurrent pushers + 1 sampler with every
acknowledged position accounted for; kill -9 mid-load then restart with no acknowledged episode
lost (checked exactly against a snapshot); SIGTERM shutdown (parked call -> UNAVAILABLE, exit 0);
the startup deadlock check.
"""
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

import grpc

ROCKS, PROTO_DIR = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="rocks-replay-py-")
subprocess.run(["protoc", f"-I{PROTO_DIR}", f"--python_out={TMP}", f"--grpc_python_out={TMP}",
                "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
                os.path.join(PROTO_DIR, "replay.proto")], check=True)
sys.path.insert(0, TMP)
import replay_pb2 as pb  # noqa: E402
import replay_pb2_grpc as pbg  # noqa: E402

N = 9
OPTS = [("grpc.max_receive_message_length", 64 << 20)]


class Server:
    def __init__(self, *flags, directory=None):
        self.dir = directory or tempfile.mkdtemp(dir=TMP)
        self.log = open(os.path.join(TMP, f"server-{time.monotonic_ns()}.log"), "w")
        self.p = subprocess.Popen([ROCKS, "replay", "serve", "--listen", "127.0.0.1:0", "--dir", self.dir,
                                   "--stats-every", "1", *flags], stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.p.stdout.readline()
        assert line.startswith("listening "), f"server did not start: {line!r} (log {self.log.name})"
        self.addr = f"127.0.0.1:{int(line.split()[1])}"

    def channel(self):
        return grpc.insecure_channel(self.addr, options=OPTS)

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            assert self.p.wait(timeout=20) == 0, "server did not exit cleanly on SIGTERM"
        self.log.close()

    def kill9(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait(timeout=10)
        self.log.close()


def episode(moves_per_side=8, offset=0, winner=1):
    """A legal 9x9 game: black fills from point `offset` upwards, white from the last point down
    (no contact for up to 30 moves each). Every move is full-search with a 2-point visit
    distribution (0.75 on the move played)."""
    ep = pb.Episode(board_size=N, komi=7.5, rules="tromp-taylor", winner=winner, score=3.5, model_id="py",
                    worker_id="test", flags=0)
    for i in range(moves_per_side):
        for color, point in ((1, offset + i), (2, N * N - 1 - offset - i)):
            other = N * N  # pass
            ep.moves.add(action=point, color=color, full_search=True, root_value=0.1,
                         visits=pb.VisitDistribution(actions=[point, other], probs=[0.75, 0.25]))
    return ep


def check_position(p, ep_moves):
    assert p.board_size == N and p.to_play in (1, 2)
    assert len(p.history) == 8 * ((N * N + 3) // 4) and len(p.legal) == (N * N + 7) // 8
    assert len(p.last_moves) == 3 and abs(sum(p.policy.probs) - 1) < 1e-5
    assert p.z in (1.0, -1.0)
    t = p.move_number
    assert (p.to_play == 1) == (t % 2 == 0)
    assert p.z == (1.0 if p.to_play == 1 else -1.0)  # black won
    assert p.last_moves[0] == (ep_moves[t - 1] if t > 0 else -1)
    # the colouring now: every earlier move is a stone of its colour
    now = p.history[: (N * N + 3) // 4]
    for k in range(t):
        pt = ep_moves[k]
        col = (now[pt // 4] >> (2 * (pt % 4))) & 3
        assert col == (1 if k % 2 == 0 else 2), f"move {k} point {pt} colour {col}"
    assert p.policy.actions[0] == ep_moves[t] and abs(p.policy.probs[0] - 0.75) < 1e-6


def test_push_sample_stats_checkpoint():
    s = Server("--capacity", "10000", "--min-size", "20", "--samples-per-insert", "4")
    try:
        stub = pbg.ReplayStub(s.channel())
        eps = [episode(8, offset=0), episode(10, offset=0)]
        for i, ep in enumerate(eps):
            r = stub.Push(pb.PushRequest(episode=ep), timeout=10)
            assert r.sequence == i + 1 and r.positions == len(ep.moves), r
        rep = stub.Sample(pb.SampleRequest(n=64), timeout=10)
        assert len(rep.positions) == 64
        for p in rep.positions:
            check_position(p, [m.action for m in eps[p.episode - 1].moves])
        st = stub.Stats(pb.StatsRequest(), timeout=10)
        assert st.episodes == 2 and st.positions == 36 and st.inserts == 36 and st.samples == 64, st
        assert abs(st.ratio - 64 / 36) < 1e-9 and st.capacity == 10000 and st.min_size == 20
        ck = stub.Checkpoint(pb.CheckpointRequest(), timeout=30)
        assert ck.path.endswith("snapshot.rpl") and os.path.exists(ck.path) and ck.episodes == 2
        assert stub.Stats(pb.StatsRequest(), timeout=10).wal_bytes == 0
    finally:
        s.stop()
    print("ok push/sample/stats/checkpoint")


def test_errors_keep_serving():
    s = Server("--min-size", "5", "--max-sample", "100")
    try:
        ch = s.channel()
        stub = pbg.ReplayStub(ch)
        for method in ("/replay.Replay/Nope", "/other.Service/Push"):
            try:
                ch.unary_unary(method)(b"", timeout=5)
                raise AssertionError("unknown method accepted")
            except grpc.RpcError as e:
                assert e.code() == grpc.StatusCode.UNIMPLEMENTED, e
        raw_push = ch.unary_unary("/replay.Replay/Push")
        raw_sample = ch.unary_unary("/replay.Replay/Sample")
        for call, junk in ((raw_push, b"\xff\xff\xff\xff"), (raw_push, b"\x0a\x80\x80\x80"), (raw_sample, b"\x08"),
                           (raw_push, os.urandom(3000))):
            try:
                call(junk, timeout=5)
                raise AssertionError("malformed request accepted")
            except grpc.RpcError as e:
                assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
                assert e.details(), "no message"
        bad = episode(6)
        bad.moves[3].action = bad.moves[1].action  # a stone on an occupied point
        for req, word in ((pb.PushRequest(episode=bad), "illegal"), (pb.PushRequest(), "without an episode")):
            try:
                stub.Push(req, timeout=5)
                raise AssertionError("invalid episode accepted")
            except grpc.RpcError as e:
                assert e.code() == grpc.StatusCode.INVALID_ARGUMENT and word in e.details(), (e.code(), e.details())
        for n in (0, 101):
            try:
                stub.Sample(pb.SampleRequest(n=n), timeout=5)
                raise AssertionError("bad n accepted")
            except grpc.RpcError as e:
                assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
        # still serving
        assert stub.Push(pb.PushRequest(episode=episode(6)), timeout=5).positions == 12
        assert len(stub.Sample(pb.SampleRequest(n=3), timeout=5).positions) == 3
        assert stub.Stats(pb.StatsRequest(), timeout=5).episodes == 1
    finally:
        s.stop()
    print("ok errors (UNIMPLEMENTED, INVALID_ARGUMENT) and the server keeps serving")


def test_parked_deadline_cancel_release():
    s = Server("--min-size", "40", "--capacity", "10000")
    try:
        stub = pbg.ReplayStub(s.channel())
        t0 = time.monotonic()
        try:
            stub.Sample(pb.SampleRequest(n=4), timeout=0.5)
            raise AssertionError("sample below min size returned")
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.DEADLINE_EXCEEDED, e
        assert time.monotonic() - t0 >= 0.45
        time.sleep(0.2)
        assert stub.Stats(pb.StatsRequest(), timeout=5).parked_samples == 0, "expired call still parked"
        fut = stub.Sample.future(pb.SampleRequest(n=4), timeout=30)
        time.sleep(0.3)
        assert stub.Stats(pb.StatsRequest(), timeout=5).parked_samples == 1
        fut.cancel()
        time.sleep(0.3)
        assert stub.Stats(pb.StatsRequest(), timeout=5).parked_samples == 0, "cancelled call still parked"
        fut = stub.Sample.future(pb.SampleRequest(n=5), timeout=30)
        time.sleep(0.2)
        assert not fut.done()
        stub.Push(pb.PushRequest(episode=episode(10)), timeout=5)
        stub.Push(pb.PushRequest(episode=episode(10)), timeout=5)
        rep = fut.result(timeout=10)  # released by the pushes (40 positions >= min size)
        assert len(rep.positions) == 5
        st = stub.Stats(pb.StatsRequest(), timeout=5)
        assert st.samples == 5 and st.parked_samples == 0
        # SIGTERM with a parked call: the call fails UNAVAILABLE, the server exits 0
        s2 = Server("--min-size", "1000", "--capacity", "100000")
        stub2 = pbg.ReplayStub(s2.channel())
        fut = stub2.Sample.future(pb.SampleRequest(n=1), timeout=30)
        time.sleep(0.3)
        s2.stop()
        try:
            fut.result(timeout=10)
            raise AssertionError("parked call answered")
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.UNAVAILABLE, e
    finally:
        s.stop()
    print("ok parked Sample: deadline, cancel, release by Push, SIGTERM")


def test_concurrent_pushers_sampler(seconds=3.0):
    cap = 3000
    s = Server("--capacity", str(cap), "--min-size", "50", "--samples-per-insert", "4", "--error-buffer", "1e9")
    try:
        stop = threading.Event()
        acked = [[0, 0, 0] for _ in range(8)]  # episodes, positions, failures
        sampled = [0, 0]

        def pusher(k):
            stub = pbg.ReplayStub(s.channel())
            i = 0
            while not stop.is_set():
                ep = episode(3 + (i + k) % 12, offset=(i * 7 + k) % 20)
                i += 1
                try:
                    r = stub.Push(pb.PushRequest(episode=ep), timeout=20)
                    assert r.positions == len(ep.moves)
                    acked[k][0] += 1
                    acked[k][1] += r.positions
                except grpc.RpcError:
                    acked[k][2] += 1

        def sampler():
            stub = pbg.ReplayStub(s.channel())
            while not stop.is_set():
                try:
                    rep = stub.Sample(pb.SampleRequest(n=64), timeout=1)
                    sampled[0] += len(rep.positions)
                except grpc.RpcError as e:
                    if e.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
                        sampled[1] += 1

        threads = [threading.Thread(target=pusher, args=(k,)) for k in range(8)] + [threading.Thread(target=sampler)]
        for t in threads:
            t.start()
        time.sleep(seconds)
        stop.set()
        for t in threads:
            t.join()
        st = pbg.ReplayStub(s.channel()).Stats(pb.StatsRequest(), timeout=5)
        eps = sum(a[0] for a in acked)
        pos = sum(a[1] for a in acked)
        fails = sum(a[2] for a in acked)
        assert fails == 0 and sampled[1] == 0, f"push failures {fails}, sample failures {sampled[1]}"
        assert st.inserts == pos and st.episodes_total == eps, (st, eps, pos)
        assert st.positions == st.inserts - st.evicted and st.positions <= cap and st.evicted > 0, st
        assert st.samples == sampled[0] and sampled[0] > 0, (st.samples, sampled)
        print(f"ok 8 pushers + 1 sampler for {seconds:.0f}s: {eps} episodes, {pos} positions acked "
              f"({pos / seconds:.0f}/s), {st.evicted} evicted, {sampled[0]} sampled; server agrees")
    finally:
        s.stop()


def read_records(path):
    """(type, payload) of every intact record of a replay log or snapshot."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos + 16 <= len(data):
        magic, typ, n, crc = struct.unpack_from("<IIII", data, pos)
        if magic != 0x4C575052 or pos + 16 + n > len(data):
            break
        out.append((typ, data[pos + 16: pos + 16 + n]))
        pos += 16 + n
    return out


def test_kill9_restart():
    d = tempfile.mkdtemp(dir=TMP)
    s = Server("--capacity", "10000000", "--min-size", "10", "--error-buffer", "1e9", directory=d)
    stop = threading.Event()
    acked = []  # sequence numbers acknowledged
    lock = threading.Lock()

    def pusher(k):
        stub = pbg.ReplayStub(s.channel())
        i = 0
        while not stop.is_set():
            try:
                r = stub.Push(pb.PushRequest(episode=episode(2 + (i + k) % 10)), timeout=5)
                with lock:
                    acked.append(r.sequence)
            except grpc.RpcError:
                pass  # the server died mid-call: not acknowledged
            i += 1

    threads = [threading.Thread(target=pusher, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    s.kill9()  # mid-load: pushes in flight, perhaps a half-written record
    stop.set()
    for t in threads:
        t.join()
    assert len(acked) > 20, f"only {len(acked)} pushes acknowledged before the kill"
    s2 = Server("--capacity", "10000000", "--min-size", "10", "--error-buffer", "1e9", directory=d)
    try:
        stub = pbg.ReplayStub(s2.channel())
        st = stub.Stats(pb.StatsRequest(), timeout=10)
        assert st.episodes_total >= len(acked), (st.episodes_total, len(acked))
        ck = stub.Checkpoint(pb.CheckpointRequest(), timeout=60)
        seqs = {struct.unpack_from("<Q", p)[0] for t, p in read_records(ck.path) if t == 1}
        lost = [q for q in acked if q not in seqs]
        assert not lost, f"{len(lost)} acknowledged episodes lost, e.g. {lost[:5]}"
        assert len(seqs) == st.episodes
        # and the service continues after the restart
        r = stub.Push(pb.PushRequest(episode=episode(4)), timeout=5)
        assert r.sequence > max(acked)
    finally:
        s2.stop()
    print(f"ok kill -9 under load: {len(acked)} acknowledged episodes, all restored ({len(seqs)} stored)")


def test_startup_deadlock_check():
    r = subprocess.run([ROCKS, "replay", "serve", "--listen", "127.0.0.1:0", "--memory", "--error-buffer", "10"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "deadlock" in r.stderr, (r.returncode, r.stderr)
    r = subprocess.run([ROCKS, "replay", "serve", "--listen", "127.0.0.1:0", "--memory", "--capacity", "500",
                        "--min-size", "1000"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "capacity" in r.stderr, (r.returncode, r.stderr)
    print("ok startup deadlock check")


if __name__ == "__main__":
    test_startup_deadlock_check()
    test_push_sample_stats_checkpoint()
    test_errors_keep_serving()
    test_parked_deadline_cancel_release()
    test_concurrent_pushers_sampler()
    test_kill9_restart()
    shutil.rmtree(TMP, ignore_errors=True)  # kept (with the server logs) when a test failed
    print("test_replay_service: all passed")
