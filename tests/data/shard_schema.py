"""Checks .npz shards against docs/data-format.md with numpy (helper of the data tests).

The tables of the doc ("| `name` | dtype | shape | meaning |") are parsed, so the doc itself
is what the shards are tested against: every documented array must be present (except the
optional `policy_dist`), with the documented dtype and shape, and nothing undocumented may be.
Then the arrays must be consistent with each other (history planes shift by one move, targets
are the games' next moves, values follow the winners, ...).
"""
import json
import re

import numpy as np

DTYPES = {"uint8": "|u1", "int8": "|i1", "int16": "<i2", "int32": "<i4", "int64": "<i8", "uint64": "<u8",
          "float32": "<f4"}


def doc_schema(doc_path):
    """{name: (dtype string, shape tuple of symbols)} from the doc's tables."""
    schema = {}
    row = re.compile(r"^\|\s*`([a-z_0-9]+)`\s*\|\s*((?:\\\||[^|])+?)\s*\|\s*\(([^)]*)\)\s*\|")
    for line in open(doc_path, encoding="utf-8"):
        m = row.match(line)
        if not m:
            continue
        name, dtype, shape = m.group(1), m.group(2).replace("\\", ""), m.group(3)
        dims = tuple(d.strip() for d in shape.split(",") if d.strip())
        schema[name] = (dtype, dims)
    return schema


def unpack_colors(stones, nn):
    """(P, 8, B2) packed -> (P, 8, NN) colours."""
    c = (stones[..., None] >> (2 * np.arange(4, dtype=np.uint8))) & 3
    return c.reshape(stones.shape[0], stones.shape[1], -1)[:, :, :nn]


def unpack_bits(bits, nn):
    b = (bits[..., None] >> np.arange(8, dtype=np.uint8)) & 1
    return b.reshape(bits.shape[0], -1)[:, :nn]


def check_shard(path, doc_path):
    """Returns (errors list, info dict)."""
    errors = []
    schema = doc_schema(doc_path)
    if len(schema) < 32:
        return [f"only {len(schema)} arrays parsed from {doc_path}"], {}
    z = np.load(path)
    a = {k: z[k] for k in z.files}
    meta = json.loads(a["meta"].item())
    if meta.get("format") != "rocks-shard-v1":
        errors.append(f"meta format {meta.get('format')}")
    n = int(meta["board_size"])
    nn = n * n
    P, G = len(a["to_play"]), len(a["g_id"])
    M, S = len(a["g_moves"]), len(a["g_setup"])
    dims = {"P": P, "G": G, "M": M, "S": S, "NN": nn, "NN+1": nn + 1, "G+1": G + 1, "B1": (nn + 7) // 8,
            "B2": (nn + 3) // 4, "8": 8, "3": 3}
    for name, (dtype, shape) in schema.items():
        if name not in a:
            if name != "policy_dist":
                errors.append(f"missing array {name}")
            continue
        arr = a[name]
        if dtype.startswith("|S"):
            ok = arr.dtype.kind == "S" and (dtype in ("|S (bytes)", "|S") or arr.dtype.str == dtype)
        else:
            ok = arr.dtype.str in (DTYPES[dtype], DTYPES[dtype].replace("<", "|"))
        if not ok:
            errors.append(f"{name}: dtype {arr.dtype.str}, documented {dtype}")
        want = tuple(dims[d] for d in shape)
        if arr.shape != want:
            errors.append(f"{name}: shape {arr.shape}, documented {want} {shape}")
    for name in a:
        if name not in schema:
            errors.append(f"undocumented array {name}")
    if errors:
        return errors, {}
    # consistency
    colors = unpack_colors(a["stones"], nn)
    legal = unpack_bits(a["legal"], nn)
    if colors.max(initial=0) > 2:
        errors.append("colour value 3")
    if not np.all(a["size"] == n):
        errors.append("size differs from meta")
    if not np.all((a["to_play"] == 1) | (a["to_play"] == 2)):
        errors.append("to_play not 1/2")
    # legal points are empty
    if np.any(legal.astype(bool) & (colors[:, 0] != 0)):
        errors.append("a legal point is occupied")
    gm = a["game"]
    for r in range(P):
        g = gm[r]
        mn = a["move_number"][r]
        ms = a["g_move_start"][g]
        if a["game_id"][r] != a["g_id"][g]:
            errors.append(f"row {r}: game_id")
        if a["policy"][r] != a["g_moves"][ms + mn]:
            errors.append(f"row {r}: policy != next move")
        if a["to_play"][r] != a["g_move_color"][ms + mn]:
            errors.append(f"row {r}: to_play != mover")
        w = a["g_winner"][g]
        want_z = 0.0 if w == 0 else (1.0 if w == a["to_play"][r] else -1.0)
        if a["z"][r] != want_z:
            errors.append(f"row {r}: z {a['z'][r]} != {want_z}")
        if a["komi"][r] != a["g_komi"][g]:
            errors.append(f"row {r}: komi")
        if r + 1 < P and gm[r + 1] == g and a["move_number"][r + 1] == mn + 1:
            # history shifts by one move; the last move is this row's target
            if not np.array_equal(colors[r + 1, 1:], colors[r, :7]):
                errors.append(f"row {r + 1}: history planes do not shift")
            if a["last_moves"][r + 1, 0] != a["policy"][r] or a["last_moves"][r + 1, 1] != a["last_moves"][r, 0]:
                errors.append(f"row {r + 1}: last_moves do not shift")
            mv = a["policy"][r]
            if mv < nn and colors[r + 1, 0, mv] != a["to_play"][r]:
                errors.append(f"row {r + 1}: the played stone is missing")
            if mv < nn and not legal[r, mv]:
                errors.append(f"row {r}: the move played is not marked legal")
        if len(errors) > 20:
            break
    pos_per_game = np.bincount(gm, minlength=G)
    want = np.maximum(a["g_nmoves"] - a["g_first_target"], 0)
    if not np.array_equal(pos_per_game, want):
        errors.append("positions per game != g_nmoves - g_first_target")
    if not np.array_equal(np.diff(a["g_move_start"]), a["g_nmoves"]):
        errors.append("g_move_start does not match g_nmoves")
    info = {"positions": P, "games": G, "size": n, "meta": meta,
            "sources": [s.decode() for s in a["g_source"]], "results": [s.decode() for s in a["g_result"]],
            "winners": a["g_winner"].tolist(), "ids": a["g_id"].tolist()}
    return errors, info
