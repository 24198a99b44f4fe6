"""Fuzzers for every reader: hypothesis writes messy CSV / JSONL / JSON / Parquet / CED files
and each ingest must hold the promise:

- no exception;
- ``read = accepted + quarantined + duplicates``, per file and in total, and ``read`` is the
  number of records written (nothing lost, nothing counted twice);
- every quarantined row names its file, row and reason;
- every accepted row matches its source record (id, text, counts), and every clean record
  (nothing hostile in it) is accepted (or collapsed as a duplicate of an accepted id).

Classes tried: Unicode digits ('²', '٣'), '--5', ids and counts beyond int64, floats / NaN /
booleans / nested values where numbers or text belong, absurd timestamps (year 1, 9999,
±2**70, ms / µs epochs), U+2028 / U+2029 / U+0085 inside JSONL lines, long fields, BOM,
UTF-16, GB18030, NUL bytes, undecodable bytes, truncated last records, garbage lines, empty
files, directories named like data files, duplicate ids with other content, typed Parquet
datetimes, nested Parquet structs.

Bounded and seeded in ``nox -s tests`` (``derandomize``, a few dozen examples per reader);
``nox -s fuzz`` sets ``WORKBENCH_FUZZ_EXAMPLES`` for a longer run and
``WORKBENCH_FUZZ_REPORT`` to a JSON file that receives the totals (cases, rows read /
accepted / quarantined / duplicates per reader, classes seen).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import os
import re
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench import ingest

EXAMPLES = int(os.environ.get("WORKBENCH_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=EXAMPLES or 30,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
STATS: dict[str, Counter] = {}
INT64 = 2**63
EARLIEST, LATEST = datetime(1990, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
# CJK text whose GB18030 bytes are not valid UTF-8 (so auto-detection cannot be fooled)
def _never_utf8(char: str) -> bool:
    try:
        char.encode("gb18030").decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


GB_WORDS = "".join(filter(_never_utf8, "网络舆情事件测试停水通报"))  # (停 is U+0363 in UTF-8)


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    out = os.environ.get("WORKBENCH_FUZZ_REPORT")
    if out:
        Path(out).write_text(json.dumps({k: dict(v) for k, v in STATS.items()}, indent=1), "utf-8")


def record_stats(reader: str, res: ingest.IngestResult, classes: set[str]) -> None:
    c = STATS.setdefault(reader, Counter())
    c["cases"] += 1
    for k in ("read", "accepted", "quarantined", "duplicates"):
        c[k] += res.report["total"][k]
    for cls in classes:
        c[f"class:{cls}"] += 1


# ------------------------------------------------------------------ values and what they mean

CLEAN_TIMES = ["2024-05-01T08:00:00Z", "2024-05-01 08:00:00", 1714531200, 1714531200123, "1714531200"]
HOSTILE_TIMES = ["2024-02-30 00:00:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59", "", "yesterday", "²",
                 "--5", 2**70, -(2**70), 1e30, float("nan"), True, 99999999999]

ids = st.one_of(
    st.integers(0, 6), st.integers(0, 6).map(str), st.integers(INT64, 2**80),
    st.sampled_from(["", " ", "²", "forum:7", " 42 ", "a b", "٣"]), st.none(), st.text(max_size=4),
)
clean_ids = st.one_of(st.integers(0, 6), st.integers(INT64, 2**80), st.integers(0, 6).map(str))
times = st.one_of(st.sampled_from(CLEAN_TIMES), st.sampled_from(HOSTILE_TIMES), st.none(),
                  st.integers(-(2**70), 2**70), st.floats())
texts = st.one_of(
    st.text(max_size=12), st.sampled_from(["a\u2028b", "c\u2029d", "e\x85f", "g\x0bh", "x" * 140_000, "引号\"，,\n\r行"]),
    st.integers(-(2**70), 2**70), st.none(), st.lists(st.integers(), max_size=2), st.booleans(),
)
counts = st.one_of(
    st.integers(-5, 1000), st.integers(-(2**70), 2**70), st.floats(),
    st.sampled_from(["²", "--5", "٣", " 7 ", "1e3", "3.0", "2.5", "", "+4", str(INT64), str(INT64 - 1)]),
    st.booleans(), st.none(), st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)


def expected_id(v):
    """(ok, the post id's native part) -- ok False: the row must not be accepted."""
    if isinstance(v, bool) or v is None:
        return False, None
    if isinstance(v, int):
        return True, str(v)
    if isinstance(v, str) and v.strip():
        return True, v.strip()
    return False, None


def expected_text(v):
    if v is None:
        return True, ""
    if isinstance(v, bool):
        return False, None
    if isinstance(v, int):
        return True, str(v)
    if isinstance(v, str):
        return True, v
    return False, None


def expected_count(v):
    if v is None:
        return True, None
    if isinstance(v, bool) or isinstance(v, dict | list):
        return False, None
    if isinstance(v, float):
        if math.isfinite(v) and v == int(v) and abs(v) < INT64:
            return True, int(v)
        return False, None
    if isinstance(v, int):
        return (True, v) if -INT64 <= v < INT64 else (False, None)
    s = v.strip()
    if s == "":
        return True, None
    if re.fullmatch(r"[+-]?[0-9]+", s):
        n = int(s)
        return (True, n) if -INT64 <= n < INT64 else (False, None)
    if re.fullmatch(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", s):
        f = float(s)
        if math.isfinite(f) and f == int(f) and abs(f) < INT64:
            return True, int(f)
    return False, None


def clean(rec: dict) -> bool:
    """Nothing hostile: this record must be accepted (or be a duplicate of an accepted id)."""
    return (expected_id(rec.get("id"))[0] and rec.get("time") in CLEAN_TIMES and isinstance(rec.get("text"), str | None)
            and "\x00" not in (rec.get("text") or "") and expected_count(rec.get("likes"))[0]
            and not isinstance(rec.get("likes"), str | float))


records = st.lists(
    st.fixed_dictionaries({}, optional={"id": ids, "time": times, "text": texts, "likes": counts}), max_size=8)
clean_records = st.lists(
    st.fixed_dictionaries({"id": clean_ids, "time": st.sampled_from(CLEAN_TIMES),
                           "text": st.one_of(st.none(), st.text(max_size=12).filter(lambda t: "\x00" not in t)),
                           "likes": st.one_of(st.none(), st.integers(-5, 1000))}), max_size=4)


# ------------------------------------------------------------------ files


@st.composite
def damage(draw):
    """How a text file is written: encoding, lines hit by NUL / undecodable bytes, truncation."""
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "gb18030"]))
    return {
        "encoding": encoding,
        "nul": draw(st.sets(st.integers(0, 10), max_size=2)),
        "bytes": set() if encoding == "utf-16" else draw(st.sets(st.integers(0, 10), max_size=2)),
        "truncate": draw(st.booleans()) and draw(st.integers(1, 10**6)),
    }


CODEC = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "utf-16": "utf-16-le", "gb18030": "gb18030"}
BOM = {"utf-8-sig": codecs.BOM_UTF8, "utf-16": codecs.BOM_UTF16_LE}
# private-use characters standing where damage goes, replaced by it once the text is encoded
MARKS = {"nul": "\ue000", "bytes": "\ue001"}


def hit(how: dict, n: int, blank=lambda i: False) -> dict[int, str]:
    """Which of ``n`` lines / items get which damage ('nul' or 'bytes'); never a blank line."""
    out = {i: "bytes" for i in how["bytes"] if i < n and not blank(i)}
    out.update({i: "nul" for i in how["nul"] if i < n and not blank(i)})
    return out


def mark_lines(lines: list[str], damaged: dict[int, str]) -> list[str]:
    """A mark mid-line (NUL) or at the line's end (undecodable bytes)."""
    out = []
    for i, line in enumerate(lines):
        kind = damaged.get(i)
        if kind == "nul":
            line = line[: len(line) // 2] + MARKS["nul"] + line[len(line) // 2:]
        elif kind == "bytes":
            line = line + MARKS["bytes"]
        out.append(line)
    return out


def encode(text: str, encoding: str) -> bytes:
    """Text -> bytes in ``encoding`` (BOM included), the marks replaced by their damage."""
    codec = CODEC[encoding]
    data = text.encode(codec)
    data = data.replace(MARKS["nul"].encode(codec), "\x00".encode(codec))
    data = data.replace(MARKS["bytes"].encode(codec), b"\xff" if codec != "utf-16-le" else "\x00".encode(codec))
    return BOM.get(encoding, b"") + data


def gb_safe(value):
    """For GB18030 files, text from GB_WORDS and ASCII only (see GB_WORDS)."""
    if isinstance(value, str):
        return "".join(c if c.isascii() else GB_WORDS[ord(c) % len(GB_WORDS)] for c in value)
    return value


def mapping_text(fmt: str, how: dict | None) -> str:
    enc = "gb18030" if how and how["encoding"] == "gb18030" else None
    return (f"name: fz\nformat: {fmt}\nfiles: '*.{fmt}'\nplatform: forum\nencoding: {json.dumps(enc)}\n"
            "columns:\n  post_id: id\n  created_at: time\n  text: text\n  likes: likes\n")


def check(res: ingest.IngestResult, expected_reads: dict[str, int], sources: dict[str, dict[int, dict]],
          must_accept: set[str]) -> None:
    total = res.report["total"]
    assert total["balanced"], res.report["files"]
    assert total["read"] == total["accepted"] + total["quarantined"] + total["duplicates"]
    assert total["accepted"] == res.posts.height and total["quarantined"] == res.quarantine.height
    reads = {Path(k).name: v["read"] for k, v in res.report["files"].items()}
    assert reads == expected_reads, (reads, expected_reads)
    q = res.quarantine
    assert q["source_file"].null_count() == 0 and q["source_row"].null_count() == 0
    assert (q["reason"].str.len_chars() > 0).all() and (q["detail"].str.len_chars() > 0).all()
    assert q["detail"].str.contains(r"fz|\.json|\.csv|\.parquet|\.jsonl|CED").all()
    for row in res.posts.iter_rows(named=True):
        rec = sources[Path(row["source_file"]).name][row["source_row"]]
        ok, native = expected_id(rec.get("id"))
        assert ok and row["post_id"] == (native if native.startswith("forum:") else f"forum:{native}"), (row, rec)
        ok, text = expected_text(rec.get("text"))
        assert ok and row["text"] == text, (row["text"][:80], rec)
        ok, likes = expected_count(rec.get("likes"))
        assert ok and row["likes"] == likes, (row, rec)
        assert EARLIEST <= row["created_at"] <= LATEST
    assert must_accept <= set(res.posts["post_id"]), must_accept - set(res.posts["post_id"])


def native_id(rec: dict) -> str:
    native = expected_id(rec["id"])[1]
    return native if native.startswith("forum:") else f"forum:{native}"


def run(folder: Path) -> ingest.IngestResult:
    try:
        return ingest.read(folder, near_duplicates=False)
    except BaseException as exc:  # a Rust panic is a BaseException: report it as a failure
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        raise AssertionError(f"ingest raised {type(exc).__name__}: {exc}") from exc


# ------------------------------------------------------------------ JSONL


garbage = st.text(alphabet=st.characters(blacklist_characters="\n\r\ufeff", blacklist_categories=("Cs",)), max_size=12)


def cut_last(lines: list[str], how: dict) -> bool:
    """Truncate the last line (keeping 1..len-1 of its characters); whether it was cut."""
    if not (how["truncate"] and lines and len(lines[-1]) > 1):
        return False
    lines[-1] = lines[-1][: 1 + how["truncate"] % (len(lines[-1]) - 1)]
    return True


@FUZZ
@given(files=st.lists(st.tuples(records, clean_records, st.lists(garbage, max_size=3), damage()), min_size=1, max_size=3),
       empty=st.booleans(), dirs=st.booleans())
def test_fuzz_jsonl(files, empty, dirs):
    encoding = files[0][3]["encoding"]  # one encoding per folder (the mapping may name it)
    with tempfile.TemporaryDirectory(prefix="fuzz_") as tmp:
        folder = Path(tmp)
        (folder / "fz.mapping.yaml").write_text(mapping_text("jsonl", files[0][3]), "utf-8")
        expected, sources, must, classes = {}, {}, set(), {encoding}
        for k, (recs, good, junk, how) in enumerate(files):
            allrecs = [*good, *recs]
            if encoding == "gb18030":
                allrecs = [{key: gb_safe(v) for key, v in r.items()} for r in allrecs]
                junk = [gb_safe(j) for j in junk]
            lines = [json.dumps(r, ensure_ascii=False) for r in allrecs] + list(junk)
            cut = cut_last(lines, how)
            damaged = hit(how, len(lines), lambda i, lines=lines: not lines[i].strip(" \t"))
            name = f"f{k}.jsonl"
            (folder / name).write_bytes(encode("".join(line + "\n" for line in mark_lines(lines, damaged)), encoding))
            rows = {i: r for i, r in enumerate(allrecs) if i not in damaged and not (cut and i == len(lines) - 1)}
            sources[name] = rows
            expected[name] = sum(1 for line in lines if line.strip(" \t")) or 1  # none: an empty file
            must |= {native_id(r) for i, r in rows.items() if i < len(good) and clean(r)}
            classes |= {*(["truncated"] if cut else []), *(f"damage:{v}" for v in damaged.values())}
        if empty:
            (folder / "empty.jsonl").write_bytes(b"")
            expected["empty.jsonl"] = 1
            classes.add("empty_file")
        if dirs:
            (folder / "dir.jsonl").mkdir()
            classes.add("dir_named_like_file")
        res = run(folder)
        check(res, expected, sources, must)
        record_stats("mapped:jsonl", res, classes)


# ------------------------------------------------------------------ CSV


def csv_value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, dict | list):
        return json.dumps(v)
    return str(v)


def csv_source(rec: dict) -> dict:
    """What a CSV row holds once written: text (empty = missing)."""
    return {k: (None if csv_value(v) == "" else csv_value(v)) for k, v in rec.items()}


@FUZZ
@given(recs=records, good=clean_records, how=damage(), ragged=st.lists(st.integers(0, 10), max_size=2),
       extra=st.booleans())
def test_fuzz_csv(recs, good, how, ragged, extra):
    encoding = how["encoding"]
    with tempfile.TemporaryDirectory(prefix="fuzz_") as tmp:
        folder = Path(tmp)
        (folder / "fz.mapping.yaml").write_text(mapping_text("csv", how), "utf-8")
        allrecs = [csv_source(r) for r in [*good, *recs]]
        if encoding == "gb18030":
            allrecs = [{k: gb_safe(v) for k, v in r.items()} for r in allrecs]
        header = ["id", "time", "text", "likes", *(["other"] if extra else [])]
        lines, rows = [], {}
        for i, r in enumerate([dict(zip(header, header, strict=True)), *allrecs]):
            fields = [r.get(h) or "" for h in header]
            if i - 1 in ragged:
                fields = fields[:-1]
            elif i:
                rows[i - 1] = r
            out = io.StringIO()
            csv.writer(out).writerow(fields)  # (its "\r\n" terminator makes it quote \r and \n)
            lines.append(out.getvalue().removesuffix("\r\n"))
        # a record is one physical line unless a field holds a line break: damage (by line)
        # only when none does; never the header (line 0)
        plain = not any("\n" in line or "\r" in line for line in lines)
        damaged = hit(how, len(lines), lambda i: i == 0) if plain else {}
        (folder / "a.csv").write_bytes(encode("".join(line + "\r\n" for line in mark_lines(lines, damaged)), encoding))
        for i in damaged:
            rows.pop(i - 1, None)
        must = {native_id(r) for i, r in rows.items() if i < len(good) and clean(good[i])}
        res = run(folder)
        check(res, {"a.csv": len(allrecs)}, {"a.csv": rows}, must)
        record_stats("mapped:csv", res, {encoding, *(["ragged"] if ragged else []),
                                         *(f"damage:{v}" for v in damaged.values())})


# ------------------------------------------------------------------ JSON


def json_items(items: list, how: dict) -> tuple[str, dict[int, str], bool]:
    """An array, one item per line; damage marked inside a string of the damaged dict items;
    the last item maybe cut (then no closing bracket). (text, damaged items, cut)."""
    damaged = hit(how, len(items), lambda i: not isinstance(items[i], dict))
    pieces = []
    for i, item in enumerate(items):
        if i in damaged:
            item = {**item, "_x": "a" + MARKS[damaged[i]] + "b"}
        pieces.append(json.dumps(item, ensure_ascii=False))
    cut = bool(pieces) and pieces[-1][:1] in ("{", "[", '"') and cut_last(pieces, how)
    return "[\n" + ",\n".join(pieces) + ("" if cut else "\n]"), damaged, cut


@FUZZ
@given(recs=records, good=clean_records,
       junk=st.lists(st.one_of(st.integers(), st.text(max_size=3), st.lists(st.none(), max_size=1)), max_size=2),
       how=damage())
def test_fuzz_json(recs, good, junk, how):
    encoding = how["encoding"]
    with tempfile.TemporaryDirectory(prefix="fuzz_") as tmp:
        folder = Path(tmp)
        (folder / "fz.mapping.yaml").write_text(mapping_text("json", how), "utf-8")
        items = [*good, *recs, *junk]
        if encoding == "gb18030":
            items = [{k: gb_safe(v) for k, v in r.items()} if isinstance(r, dict) else gb_safe(r) for r in items]
        text, damaged, cut = json_items(items, how)
        (folder / "a.json").write_bytes(encode(text, encoding))
        rows = {i: r for i, r in enumerate(items)
                if isinstance(r, dict) and i not in damaged and not (cut and i == len(items) - 1)}
        must = {native_id(r) for i, r in rows.items() if i < len(good) and clean(r)}
        res = run(folder)
        check(res, {"a.json": len(items)}, {"a.json": rows}, must)
        record_stats("mapped:json", res, {encoding, *(["truncated"] if cut else []),
                                          *(f"damage:{v}" for v in damaged.values())})


# ------------------------------------------------------------------ Parquet


@FUZZ
@given(recs=records, good=clean_records, id_type=st.sampled_from(["str", "int", "uint"]),
       time_type=st.sampled_from(["str", "naive", "aware", "epoch"]),
       likes_type=st.sampled_from(["str", "int", "float", "uint"]), nested=st.booleans())
def test_fuzz_parquet(recs, good, id_type, time_type, likes_type, nested):
    with tempfile.TemporaryDirectory(prefix="fuzz_") as tmp:
        folder = Path(tmp)
        (folder / "fz.mapping.yaml").write_text(mapping_text("parquet", None), "utf-8")
        allrecs = [*good, *recs]

        def column(key, kind):
            values = [r.get(key) for r in allrecs]
            if kind == "str":
                return [None if v is None else csv_value(v) for v in values], pl.Utf8
            if kind in ("int", "uint"):
                lo, hi = (0, 2**64) if kind == "uint" else (-INT64, INT64)
                return [v if type(v) is int and lo <= v < hi else None for v in values], (pl.UInt64 if kind == "uint" else pl.Int64)
            return [float(v) if type(v) in (int, float) and abs(v) < 1e300 else None for v in values], pl.Float64

        ids_, id_dtype = column("id", id_type)
        likes_, likes_dtype = column("likes", likes_type)
        stamps = [datetime(2024, 5, 1, 8, i % 60) for i in range(len(allrecs))]
        if time_type == "naive":
            times_, time_dtype = stamps, pl.Datetime("us")
        elif time_type == "aware":
            times_, time_dtype = [s.replace(tzinfo=UTC) for s in stamps], pl.Datetime("us", "UTC")
        elif time_type == "epoch":
            times_, time_dtype = [int(s.replace(tzinfo=UTC).timestamp()) for s in stamps], pl.Int64
        else:
            times_, time_dtype = [csv_value(r.get("time")) or None for r in allrecs], pl.Utf8
        text_ = [r.get("text") if isinstance(r.get("text"), str) else None for r in allrecs]
        frame = pl.DataFrame({"id": pl.Series(ids_, dtype=id_dtype), "time": pl.Series(times_, dtype=time_dtype),
                              "text": pl.Series(text_, dtype=pl.Utf8), "likes": pl.Series(likes_, dtype=likes_dtype)})
        if nested:
            frame = frame.with_columns(pl.struct(pl.col("text").alias("inner")).alias("text"))
        frame.write_parquet(folder / "a.parquet")
        sources = {i: {"id": ids_[i], "time": times_[i], "text": None if nested else text_[i],
                       "likes": likes_[i]} for i in range(len(allrecs))}
        if nested:  # a struct where text belongs: no row may be accepted
            sources = {}
        res = run(folder)
        check(res, {"a.parquet": len(allrecs)} if allrecs else {"a.parquet": 0}, {"a.parquet": sources}, set())
        if time_type != "str" and not nested:
            good_ids = {native_id({"id": ids_[i]}) for i in range(len(good)) if ids_[i] is not None}
            assert good_ids <= set(res.posts["post_id"])
        record_stats("mapped:parquet", res, {f"time:{time_type}", f"id:{id_type}", f"likes:{likes_type}",
                                            *(["nested"] if nested else [])})


# ------------------------------------------------------------------ CED


mids = st.one_of(st.integers(0, 5).map(lambda i: f"R{i}"), st.integers(INT64, 2**80), st.sampled_from(["", "²"]),
                 st.none(), st.integers(0, 3), st.lists(st.none(), max_size=1))
dates = st.one_of(st.sampled_from(["2013-01-01 10:00:00", "01月02日 08:00", "2013-02-30 10:00:00", "2999-01-01 00:00:00",
                                   "", "²月1日 10:00", "0001-01-01 00:00:00"]), st.none(), st.integers(), st.booleans())
reposts = st.lists(st.fixed_dictionaries({}, optional={"mid": mids, "uid": st.one_of(st.text(max_size=4), st.integers()),
                                                       "parent": st.one_of(st.none(), st.just(""), mids),
                                                       "text": texts, "date": dates}), max_size=6)
originals = st.fixed_dictionaries(
    {"time": st.one_of(st.sampled_from([1356966000, "Mon May 27 12:07:05 +0800 2013", "²", "--5", 2**70, -1, 1e30]), st.none())},
    optional={"text": texts, "likes": counts, "reposts": counts,
              "user": st.one_of(st.just("empty"), st.fixed_dictionaries({}, optional={"followers": counts, "verified": st.booleans()}))})


clean_reposts = st.lists(st.fixed_dictionaries({
    "mid": st.integers(0, 50).map(lambda i: f"C{i}"), "uid": st.text(max_size=4), "parent": st.just(""),
    "text": st.text(max_size=12), "date": st.sampled_from(["2013-01-01 10:00:00", "2013-01-02 08:00:00"])}), max_size=4)
clean_originals = st.fixed_dictionaries({"time": st.just(1356966000), "text": st.text(max_size=8),
                                         "likes": st.integers(0, 99), "reposts": st.integers(0, 99)})


@FUZZ
@given(events=st.lists(st.tuples(st.one_of(st.none(), originals, clean_originals),
                                 st.one_of(st.none(), st.tuples(clean_reposts, reposts).map(lambda t: t[0] + t[1])),
                                 damage()),
                       min_size=1, max_size=3),
       dir_named=st.booleans())
def test_fuzz_ced(events, dir_named):
    with tempfile.TemporaryDirectory(prefix="fuzz_") as tmp:
        base = Path(tmp) / "CED_Dataset"
        orig, rumor = base / "original-microblog", base / "rumor-repost"
        orig.mkdir(parents=True)
        rumor.mkdir()
        expected, classes, must = 0, set(), set()
        sources: dict[str, dict[int, dict]] = {}
        for k, (original, reps, how) in enumerate(events):
            name = f"{k}_M{k}_u{k}.json"
            if original is not None:
                (orig / name).write_text(json.dumps(original, ensure_ascii=False), "utf-8")
                expected += 1
            if reps is None:
                continue
            encoding = "utf-8-sig" if how["encoding"] == "utf-16" else how["encoding"]
            if encoding == "gb18030":
                reps = [{key: gb_safe(v) for key, v in r.items()} for r in reps]
            text, damaged, cut = json_items(reps, how)
            (rumor / name).write_bytes(encode(text, encoding) if reps else b"")
            expected += len(reps) if reps else 1
            sources[name] = {i: r for i, r in enumerate(reps) if i not in damaged and not (cut and i == len(reps) - 1)}
            must |= {f"weibo:{r['mid']}" for r in sources[name].values() if str(r.get("mid")).startswith("C")
                     and set(r) == {"mid", "uid", "parent", "text", "date"} and "\x00" not in r["text"]}
            classes |= {encoding, *(["empty_file"] if not reps else []), *(["truncated"] if cut else []),
                        *(f"damage:{v}" for v in damaged.values())}
        if dir_named:
            (orig / "99_M99_u99.json").mkdir()
            expected += 1
            classes.add("dir_named_like_file")
        res = ingest.read(Path(tmp), near_duplicates=False)
        total = res.report["total"]
        assert total["balanced"] and total["read"] == total["accepted"] + total["quarantined"] + total["duplicates"]
        assert total["read"] == expected, res.report["files"]
        q = res.quarantine
        assert q["source_file"].null_count() == 0 and q["source_row"].null_count() == 0 and q["reason"].null_count() == 0
        assert q["detail"].str.contains(r"\.json").all()
        for row in res.posts.filter(pl.col("kind") == "repost").iter_rows(named=True):
            rec = sources[Path(row["source_file"]).name][row["source_row"]]
            mid = rec.get("mid")
            assert isinstance(mid, str | int) and not isinstance(mid, bool), (row, rec)
            assert row["post_id"] == f"weibo:{mid}"
            if isinstance(rec.get("text"), str):
                assert row["text"] == rec["text"]
            assert EARLIEST <= row["created_at"] <= LATEST
        for row in res.posts.filter(pl.col("kind") == "original").iter_rows(named=True):
            original = events[int(Path(row["source_file"]).name.split("_")[0])][0]
            for key in ("likes", "reposts"):
                ok, value = expected_count(original.get(key))
                assert ok and row[key] == value, (row, original)
        assert must <= set(res.posts["post_id"]), must - set(res.posts["post_id"])
        record_stats("weibo_ced", res, classes)
