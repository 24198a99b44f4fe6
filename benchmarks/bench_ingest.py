"""Benchmark: ingest all of ../shared/data/weibo-ced-dev (865 events, ~320,000 records).

Runs, each in a fresh subprocess (so peak memory is per run), alternating, ``--repeat`` times:

- **workbench**: ``workbench.ingest.read(folder)`` -- the full pipeline: CED reader (Polars
  JSON reader per file, vectorised time parsing), validation + quarantine, duplicate-id
  collapse, root resolution and near-duplicate marking, into POST_SCHEMA;
- **baseline**: a straightforward ``json`` + pandas loader doing the same normalisation
  (originals + reposts, Unix / Twitter-style / Beijing / year-less times to UTC, platform-
  prefixed post/parent/root ids, author fields, event label, duplicate-id collapse), without
  near-duplicate marking (so the workbench does strictly more work);
- **workbench_no_neardup**: the same with ``near_duplicates=False`` -- the like-for-like
  comparison with the baseline;
- **floor**: merely reading and parsing every file with orjson.

Imports are done before the clock starts (pandas / polars import time is not ingest time).

Prints the median wall time, CPU time (user + system, all threads), records/s and peak RSS
(``ru_maxrss``) of each, and the speed-up ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "weibo-ced-dev"

SETUP = {
    "workbench": "from workbench import ingest",
    "workbench_no_neardup": "from workbench import ingest",
    "baseline": "import json, re\nfrom datetime import datetime, timezone, timedelta\nimport pandas as pd",
    "floor": "import orjson",
}

WORKBENCH = """
result = ingest.read(DATA)
n = result.report["total"]["read"]
"""

WORKBENCH_NO_NEARDUP = """
result = ingest.read(DATA, near_duplicates=False)
n = result.report["total"]["read"]
"""

FLOOR = """
n = 0
for f in sorted(DATA.rglob("*.json")):
    v = orjson.loads(f.read_bytes())
    n += len(v) if isinstance(v, list) else 1
"""

BASELINE = """
base = DATA / "CED_Dataset"
VT = {-1: "individual", 0: "individual", 200: "individual", 220: "individual", 1: "government",
      2: "enterprise", 3: "media", 4: "organisation", 5: "organisation", 6: "organisation",
      7: "organisation"}
originals, frames = [], []
n = 0
for path in sorted((base / "original-microblog").glob("*.json")):
    index, mid, uid = path.stem.split("_", 2)
    with open(path, encoding="utf-8") as fh:
        o = json.load(fh)
    n += 1
    t = o["time"]
    if isinstance(t, str):
        t = datetime.strptime(t, "%a %b %d %H:%M:%S %z %Y").astimezone(timezone.utc)
    else:
        t = datetime.fromtimestamp(t, timezone.utc)
    user = o["user"] if isinstance(o["user"], dict) else {}
    label = None
    for folder, name in (("rumor-repost", "rumor"), ("non-rumor-repost", "non-rumor")):
        rp = base / folder / path.name
        if rp.exists():
            label = f"{name}/{index}_{mid}"
            with open(rp, encoding="utf-8") as fh:
                reposts = json.load(fh)
            n += len(reposts)
            df = pd.DataFrame(reposts, columns=["mid", "uid", "parent", "text", "date"])
            df["event_label"] = label
            df["orig_mid"] = mid
            df["orig_time"] = t
            df["source_file"] = str(rp)
            df["source_row"] = range(len(df))
            frames.append(df)
    originals.append({
        "post_id": "weibo:" + mid, "kind": "original", "created_at": t, "text": o.get("text") or "",
        "author_id": uid, "author_followers": user.get("followers"),
        "author_verified": user.get("verified"),
        "author_type": VT.get(user.get("verified_type"), "unknown"),
        "reposts": o.get("reposts"), "comments": o.get("comments"), "likes": o.get("likes"),
        "parent_id": None, "root_id": "weibo:" + mid, "event_label": label,
        "source_file": str(path), "source_row": 0})
orig = pd.DataFrame(originals)
rep = pd.concat(frames, ignore_index=True)
created = pd.to_datetime(rep["date"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
yearless = created.isna() & rep["date"].str.contains("月", na=False)

def fix_year(row):
    m = re.match(r"(\\d+)月(\\d+)日 (\\d+):(\\d+)", row["date"])
    local = row["orig_time"].astimezone(timezone(timedelta(hours=8)))
    for year in (local.year, local.year + 1):
        try:
            t = datetime(year, int(m[1]), int(m[2]), int(m[3]), int(m[4]))
        except ValueError:
            continue
        if pd.Timestamp(t).tz_localize("Asia/Shanghai") >= row["orig_time"] - timedelta(days=1):
            return t
    return pd.NaT

created[yearless] = rep[yearless].apply(fix_year, axis=1)
rep["created_at"] = pd.to_datetime(created).dt.tz_localize("Asia/Shanghai").dt.tz_convert("UTC")
rep = rep[rep["created_at"].notna() & rep["mid"].notna()]
rep["post_id"] = "weibo:" + rep["mid"]
rep["parent_id"] = "weibo:" + rep["parent"].where(rep["parent"] != "", rep["orig_mid"])
rep["root_id"] = "weibo:" + rep["orig_mid"]
rep["author_id"] = rep["uid"].where(rep["uid"] != "")
rep["kind"] = "repost"
rep["author_type"] = "unknown"
posts = pd.concat([orig, rep.drop(columns=["mid", "uid", "parent", "date", "orig_mid", "orig_time"])],
                  ignore_index=True)
posts["platform"] = "weibo"
posts = posts.drop_duplicates("post_id", keep="first")
"""

RUNNER = """
import resource, sys, time
from pathlib import Path
DATA = Path({data!r})
{setup}
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
c0 = cpu()
t0 = time.perf_counter()
{body}
elapsed = time.perf_counter() - t0
cpu_s = cpu() - c0
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(elapsed, n, peak_kib, cpu_s)
"""


def run(name: str, body: str) -> tuple[float, int, float, float]:
    code = RUNNER.format(data=str(DATA), setup=SETUP[name], body=body)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{name} failed:\n{out.stderr[-3000:]}")
    elapsed, n, peak, cpu_s = out.stdout.strip().splitlines()[-1].split()
    return float(elapsed), int(n), int(peak) / 1024, float(cpu_s)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (median reported)")
    args = parser.parse_args()
    if not (DATA / "CED_Dataset").is_dir():
        print(f"skipped: {DATA} not found")
        return 0
    bodies = {"workbench": WORKBENCH, "workbench_no_neardup": WORKBENCH_NO_NEARDUP,
              "baseline": BASELINE, "floor": FLOOR}
    runs: dict[str, list[tuple[float, int, float, float]]] = {name: [] for name in bodies}
    for _ in range(args.repeat):
        for name, body in bodies.items():
            runs[name].append(run(name, body))
    summary = {}
    print(f"ingest benchmark: {DATA.resolve()} ({args.repeat} runs each, median)")
    print(f"{'':21} {'seconds':>8} {'CPU s':>6} {'records':>9} {'records/s':>10} {'peak RSS MiB':>13}")
    for name, rs in runs.items():
        secs = statistics.median(r[0] for r in rs)
        n = rs[0][1]
        peak = max(r[2] for r in rs)
        cpu_s = statistics.median(r[3] for r in rs)
        summary[name] = {"seconds": secs, "cpu_seconds": cpu_s, "records": n, "records_per_s": n / secs,
                         "peak_rss_mib": peak}
        print(f"{name:21} {secs:8.2f} {cpu_s:6.2f} {n:9,} {n / secs:10,.0f} {peak:13.0f}")
    base = summary["baseline"]["seconds"]
    ratio = base / summary["workbench"]["seconds"]
    ratio_same = base / summary["workbench_no_neardup"]["seconds"]
    floor = summary["workbench"]["seconds"] / summary["floor"]["seconds"]
    print(f"speed-up vs json+pandas baseline, full pipeline (incl. near-duplicate marking): {ratio:.1f}x")
    print(f"speed-up vs json+pandas baseline, same work (no near-duplicate marking): {ratio_same:.1f}x"
          " (target >= 5x)")
    cpu_ratio = summary["baseline"]["cpu_seconds"] / summary["workbench_no_neardup"]["cpu_seconds"]
    print(f"CPU-time ratio, same work: {cpu_ratio:.1f}x (steadier than wall time on a busy machine)")
    print(f"workbench full pipeline / orjson raw-parse floor: {floor:.1f}x the floor's time")
    print("(seconds exclude imports; peak RSS includes them: each run is a fresh interpreter)")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
