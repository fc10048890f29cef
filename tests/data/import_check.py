"""`rocks data import` on a folder with good, malformed and unsupported SGF files.

    import_check.py ROCKS_BIN SCRATCH_DIR DOC(docs/data-format.md) SGF_FIXTURES(tests/sgf)

The import must succeed, keep every good game, list every bad file/game in import-report.tsv
with a reason, count them in manifest.json, and write shards that numpy reads with exactly the
documented arrays (tests/data/shard_schema.py).
"""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shard_schema  # noqa: E402

GOOD = {
    "a/game1.sgf": "(;GM[1]FF[4]SZ[9]KM[7.5]RE[B+2.5];B[ee];W[cc];B[gg];W[gc];B[cg];W[];B[])",
    "a/b/game2.SGF": "(;SZ[9]KM[6.5]HA[2]AB[cc][gg]RE[W+R];W[ee];B[ce];W[ec])",
    "game3.sgf": "(;SZ[13]RE[W+0.5];B[dd];W[jj];B[dj])",
    # a collection: two good games and one without a result
    "coll.sgf": "(;SZ[9]RE[B+R];B[ee];W[dd])(;SZ[9]RE[0];B[cc];W[gg])(;SZ[9];B[ee])",
}
BAD = {
    "broken/syntax.sgf": ("(;SZ[9]RE[B+1];B[ee];W[cc]", "line"),         # unterminated
    "broken/junk.sgf": ("\x00\x01\x02 binary junk", "line"),
    "broken/empty.sgf": ("", "line"),
    "broken/noresult.sgf": ("(;SZ[9];B[ee];W[cc])", "no result"),
    "broken/void.sgf": ("(;SZ[9]RE[Void];B[ee];W[cc])", "names no winner"),
    "broken/illegal.sgf": ("(;SZ[9]RE[B+1];B[ee];W[ee])", "move 2"),
    "broken/setup.sgf": ("(;SZ[9]RE[B+1];B[ee];AB[aa];W[cc])", "setup"),
    "broken/size.sgf": ("(;SZ[25]RE[B+1];B[aa])", ""),
    "broken/nomoves.sgf": ("(;SZ[9]RE[B+1])", "no moves"),
}


def main():
    rocks, scratch, doc, fixtures = sys.argv[1:5]
    src = os.path.join(scratch, "corpus")
    out = os.path.join(scratch, "out")
    shutil.rmtree(scratch, ignore_errors=True)
    for rel, text in list(GOOD.items()) + [(k, v[0]) for k, v in BAD.items()]:
        p = os.path.join(src, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="latin-1") as f:
            f.write(text)
    with open(os.path.join(src, "notes.txt"), "w") as f:  # not an SGF: ignored
        f.write("ignore me")
    extra = os.path.join(fixtures, "handicap.sgf")
    r = subprocess.run([rocks, "data", "import", "--sgf", src, extra, os.path.join(src, "missing.sgf"), "--out", out],
                       capture_output=True, text=True)
    print(r.stdout, r.stderr[-400:])
    failures = []
    if r.returncode != 0:
        print(f"import failed with {r.returncode}")
        sys.exit(1)
    rows = [line.rstrip("\n").split("\t") for line in open(os.path.join(out, "import-report.tsv"))]
    if rows[0] != ["path", "game", "status", "reason"]:
        failures.append(f"report header {rows[0]}")
    rejected = [x for x in rows[1:] if x[2] == "rejected"]
    ok = [x for x in rows[1:] if x[2] == "ok"]
    for rel, (_, why) in BAD.items():
        p = os.path.join(src, rel)
        hit = [x for x in rejected if x[0] == p]
        if len(hit) != 1 or why not in hit[0][3] or not hit[0][3].strip():
            failures.append(f"{rel}: expected one rejection mentioning '{why}', got {hit}")
    if not any(x[0].endswith("missing.sgf") for x in rejected):
        failures.append("the missing file is not reported")
    if not any(x[0].endswith("coll.sgf") and x[1] == "2" and "no result" in x[3] for x in rejected):
        failures.append("the third game of coll.sgf is not reported")
    if any(x[0].endswith("notes.txt") for x in rows):
        failures.append("notes.txt should be ignored")
    man = json.load(open(os.path.join(out, "manifest.json")))
    want_games = 5  # GOOD holds 5 good games; the handicap.sgf fixture has no RE (rejected)
    c = man["counts"]
    if c["rejected"] != len(rejected) or c["games"] != len(ok):
        failures.append(f"manifest counts {c} vs report {len(ok)} ok / {len(rejected)} rejected")
    if not any(x[0] == extra and "no result" in x[3] for x in rejected):
        failures.append("handicap.sgf (no RE) is not reported")
    if len(rejected) != len(BAD) + 3:
        failures.append(f"{len(rejected)} rejections, want {len(BAD) + 3}")
    if len(ok) != want_games:
        failures.append(f"only {len(ok)} games imported")
    positions = games = 0
    sizes = set()
    for s in man["shards"]:
        errs, info = shard_schema.check_shard(os.path.join(out, s["file"]), doc)
        failures += [f"{s['file']}: {e}" for e in errs]
        if info:
            positions += info["positions"]
            games += info["games"]
            sizes.add(info["size"])
            if info["positions"] != s["positions"]:
                failures.append(f"{s['file']}: manifest positions")
    if sizes != {9, 13}:
        failures.append(f"board sizes {sizes}")
    if games != len(ok) or positions != c["positions"]:
        failures.append(f"shards hold {games} games / {positions} positions, manifest {c}")
    # rerun into the same folder: same result, no stale shards
    r2 = subprocess.run([rocks, "data", "import", "--sgf", os.path.join(src, "a"), "--out", out, "--quiet"],
                        capture_output=True, text=True)
    man2 = json.load(open(os.path.join(out, "manifest.json")))
    left = sorted(os.listdir(os.path.join(out, "shards")))
    if r2.returncode != 0 or man2["counts"]["games"] != 2 or len(left) != man2["counts"]["shards"]:
        failures.append(f"rerun: rc {r2.returncode}, counts {man2['counts']}, files {left}")
    for f in failures:
        print("FAILED:", f)
    if failures:
        sys.exit(1)
    print(f"import_check: {len(ok)} games, {len(rejected)} rejections reported, {positions} positions, shards ok")


if __name__ == "__main__":
    main()
