"""The watch on a stream broker: Redis Streams, read through a consumer group.

``RedisStreamSource`` is a source for :class:`~workbench.watch.loop.WatchLoop` beside the
folder source (``SourceDir``): the same two calls, ``scan(known)`` and ``resolve(stamp)``,
plus ``committed(state)``, which the loop calls once a checkpoint is durable.

A **topic** ``T`` is one stream (``T``) or, with partitions, one stream per partition
(``T:0``, ``T:1``, ...). Each entry carries one post as a JSON line in the field ``post``
(any channel format a ``*.mapping.yaml`` with ``format: jsonl`` describes; the watch is
given that mapping). Producers: :func:`publish`.

How a batch is taken, so that ``kill -9`` (of the watch or of the broker) loses nothing
and repeats nothing:

1. ``XREADGROUP`` hands the consumer up to ``count`` entries per stream (first, after a
   start or a lost connection, the entries the group delivered to it earlier and that are
   not yet acknowledged: its pending list);
2. they are written (fsync, atomic rename) into a **segment** file in ``STATE/spool/``
   named by stream and id range, beside a copy of the mapping: from here on the batch is a
   file, and the loop's own machinery (``pending.json`` write-ahead, poison isolation, row
   quarantine, de-duplication on ``post_id``) treats it exactly as a file that landed in a
   watched folder;
3. the loop commits its checkpoint, which records the segment (its ``FileStamp``): **the
   checkpoint is the consumer offset** (the greatest id of a stream's recorded segments);
4. ``committed(state)``: ``XACK`` of the segment's ids, and the segment file goes.

A crash before 3 redoes the batch from the same segment (same posts, same alert ids); a
crash between 3 and 4 leaves entries pending in the group, which a restart acknowledges
without reading (their ids are at or below the checkpoint's offset). Entries the group
delivers again at or below the offset (a broker that lost its own state) are skipped the
same way. The entries stay in the stream after ``XACK`` (trimming is the operator's
``MAXLEN`` policy), so a quarantined segment can be read again from the broker.

A lost connection is logged and retried at the next step; the watch keeps running. The
broker should keep its streams on disk (``appendonly yes``, ``appendfsync always``): see
the README.

Several workers share a topic **by partition**: each worker consumes its own partitions
(``--partition``) into its own state folder (its own ledger), so an event is whole when
the producer routes every post of an incident to one partition (:func:`partition_of`:
by channel, or by keyword group, with reposts following their root).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import zlib
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, unquote

import orjson
import yaml

from workbench.watch.sources import FileStamp, ScanResult
from workbench.watch.state import atomic_write_bytes

log = logging.getLogger("workbench.watch")

FIELD = b"post"  # the entry field that holds the post's JSON line
_SEGMENT = re.compile(r"^(?P<stream>[^~]+)~(?P<first>\d+-\d+)~(?P<last>\d+-\d+)\.jsonl$")


def stream_names(topic: str, partitions: Iterable[int] | None = None) -> list[str]:
    """``T`` (no partitions) or ``T:0``, ``T:1``, ... for the partitions given."""
    parts = list(partitions or [])
    return [f"{topic}:{p}" for p in parts] if parts else [topic]


def parse_id(entry_id: bytes | str) -> tuple[int, int]:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def format_id(value: tuple[int, int]) -> str:
    return f"{value[0]}-{value[1]}"


def partition_of(post: dict, n_partitions: int, *, by: str = "root",
                 groups: dict[str, list[str]] | None = None, text_field: str = "text") -> int:
    """The partition a producer sends ``post`` to (stable across processes: CRC32).

    ``by='channel'``: the post's ``platform`` / ``channel`` field; ``by='root'``: its
    cascade (``root_id``, else its own id), so reposts go with the post they repost;
    ``by='keywords'``: the first keyword group (``groups``: name -> words) whose word the
    text holds (an incident's posts share its words), else the cascade.
    """
    if n_partitions <= 1:
        return 0
    key = None
    if by == "channel":
        key = post.get("platform") or post.get("channel")
    elif by == "keywords":
        text = str(post.get(text_field) or "")
        key = next((name for name, words in (groups or {}).items()
                    if any(w in text for w in words)), None)
    elif by != "root":
        raise ValueError(f"partition_of: by must be 'root', 'channel' or 'keywords', not {by!r}")
    if key is None:
        key = post.get("root_id") or post.get("root") or post.get("post_id") or post.get("id")
    return zlib.crc32(str(key).encode("utf-8")) % n_partitions


def connect(url: str):
    """A redis-py client for a ``redis://host:port/db`` URL."""
    import redis
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"broker URL must be redis://host:port/db (or rediss://, unix://): {url!r}")
    return redis.Redis.from_url(
        url, socket_connect_timeout=5, retry=Retry(ExponentialBackoff(cap=2.0), 3),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
    )


def publish(client, stream: str, lines: Iterable[bytes | str | dict], *, chunk: int = 500) -> list[bytes]:
    """``XADD`` each post (a JSON line, or a dict dumped as one) to ``stream``; their ids."""
    ids: list[bytes] = []
    pipe = client.pipeline(transaction=False)
    pending = 0
    for line in lines:
        if isinstance(line, dict):
            line = orjson.dumps(line)
        elif isinstance(line, str):
            line = line.encode("utf-8")
        pipe.xadd(stream, {FIELD: line})
        pending += 1
        if pending >= chunk:
            ids += pipe.execute()
            pending = 0
    if pending:
        ids += pipe.execute()
    return ids


def _connection_errors() -> tuple[type[BaseException], ...]:
    import redis

    return (redis.ConnectionError, redis.TimeoutError, OSError)


class RedisStreamSource:
    """Entries of a topic's streams, read through a consumer group (module docstring).

    ``spool``: the segment folder (``STATE/spool``); ``mapping``: the ``*.mapping.yaml``
    (``format: jsonl``) of the posts' JSON lines; ``count``: entries per stream per batch;
    ``block_s``: how long a read waits for entries when there are none.
    """

    def __init__(self, url: str, topic: str, *, spool: str | Path, mapping: str | Path,
                 partitions: Iterable[int] | None = None, group: str = "workbench",
                 consumer: str | None = None, count: int = 500, block_s: float = 1.0,
                 client=None):
        self.url = url
        self.topic = topic
        self.streams = stream_names(topic, partitions)
        self.group = group
        self.consumer = consumer or "watch-" + ",".join(self.streams)
        self.count = count
        self.block_ms = max(0, int(block_s * 1000))
        self.root = Path(spool)
        self.root.mkdir(parents=True, exist_ok=True)
        self.mapping_name = self._install_mapping(Path(mapping))
        self.client = client if client is not None else connect(url)
        self._groups_ready = False
        self._pending_drained = False  # own pending list read since the last (re)connection
        self.batches: dict[int, dict[str, tuple[str, str]]] = {}  # batch -> stream -> id range
        self.connected = True

    # -- the mapping beside the segments -----------------------------------------------------
    def _install_mapping(self, mapping: Path) -> str:
        if not mapping.is_file():
            raise FileNotFoundError(f"watch: mapping file {mapping} does not exist")
        spec = yaml.safe_load(mapping.read_text("utf-8"))
        if not isinstance(spec, dict) or spec.get("format") != "jsonl":
            raise ValueError(f"{mapping}: a broker topic carries JSON lines: the mapping needs "
                             f"'format: jsonl' (it has {spec.get('format') if isinstance(spec, dict) else spec!r})")
        spec = {**spec, "files": "*~*.jsonl"}
        name = str(spec.get("name") or "broker")
        target = self.root / f"{name}.mapping.yaml"
        data = yaml.safe_dump(spec, allow_unicode=True, sort_keys=False).encode("utf-8")
        if not target.exists() or target.read_bytes() != data:
            atomic_write_bytes(target, data)
            old = os.stat(target).st_mtime - 5  # settled
            os.utime(target, (old, old))
        return target.name

    # -- the SourceDir interface -------------------------------------------------------------
    def resolve(self, stamp: FileStamp) -> Path:
        return self.root / stamp.path

    def scan(self, known: dict[str, FileStamp]) -> ScanResult:
        """Segments to read: ones spooled but not yet recorded (a crash), else a new batch."""
        try:
            self._ensure_groups(known)
            self._tidy(known)
            leftovers = [self._stamp(p) for p in self._segments() if p.name not in known]
            if leftovers:
                return ScanResult(leftovers, [])
            entries = self._read(known)
            stamps = self._spool(entries)
            if not self.connected:
                log.warning("broker %s: connected again", self.url)
                self.connected = True
            return ScanResult(stamps, [])
        except _connection_errors() as exc:
            self._lost(exc)
            return ScanResult([], [])

    def committed(self, state) -> None:
        """The checkpoint holding ``state`` is durable: acknowledge its segments."""
        from workbench.watch.loop import crash_point

        crash_point("before_ack")
        try:
            ranges = self._tidy(state.files)
        except _connection_errors() as exc:  # acknowledged at the next scan
            self._lost(exc)
            ranges = {}
        if ranges:
            self.batches[state.batch] = ranges
            for old in sorted(self.batches)[:-256]:
                del self.batches[old]
        self._prune(state.files)

    # -- offsets -----------------------------------------------------------------------------
    def offsets(self, known: dict[str, FileStamp]) -> dict[str, tuple[int, int]]:
        """Per stream, the greatest id the checkpoint holds (the consumer offset)."""
        out: dict[str, tuple[int, int]] = {}
        for name in known:
            m = _SEGMENT.match(name)
            if m is None:
                continue
            stream, last = unquote(m["stream"]), parse_id(m["last"])
            if stream in self.streams and last > out.get(stream, (-1, -1)):
                out[stream] = last
        return out

    def _segments(self) -> list[Path]:
        found = [p for p in self.root.iterdir() if _SEGMENT.match(p.name)]
        return sorted(found, key=lambda p: parse_id(_SEGMENT.match(p.name)["first"]))

    def _stamp(self, path: Path) -> FileStamp:
        data = path.read_bytes()
        st = path.stat()
        return FileStamp(path.name, st.st_size, st.st_mtime_ns, hashlib.sha256(data).hexdigest())

    # -- broker calls ------------------------------------------------------------------------
    def _lost(self, exc: BaseException) -> None:
        if self.connected:
            log.warning("broker %s: %s: %s (retrying)", self.url, type(exc).__name__, exc)
        self.connected = False
        self._pending_drained = False
        self._groups_ready = False

    def _ensure_groups(self, known: dict[str, FileStamp]) -> None:
        if self._groups_ready:
            return
        import redis

        offsets = self.offsets(known)
        for stream in self.streams:
            start = format_id(offsets[stream]) if stream in offsets else "0"
            try:
                self.client.xgroup_create(stream, self.group, id=start, mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
        self._groups_ready = True

    def _read(self, known: dict[str, FileStamp]) -> dict[str, list[tuple[bytes, dict]]]:
        offsets = self.offsets(known)
        covered = dict(offsets)  # nothing in spool beyond the checkpoint here (leftovers went first)
        out: dict[str, list[tuple[bytes, dict]]] = {}
        if not self._pending_drained:
            # entries delivered to this consumer before a crash or a lost connection
            for stream in self.streams:
                after = "0"
                while True:
                    reply = self.client.xreadgroup(self.group, self.consumer, {stream: after},
                                                   count=self.count)
                    entries = reply[0][1] if reply else []
                    if not entries:
                        break
                    after = entries[-1][0]
                    fresh = self._keep(stream, entries, covered)
                    if fresh:
                        out[stream] = fresh
                        break
            if out:
                return out
            self._pending_drained = True
        reply = self.client.xreadgroup(self.group, self.consumer, {s: ">" for s in self.streams},
                                       count=self.count, block=self.block_ms or None)
        for stream, entries in reply or []:
            stream = stream.decode() if isinstance(stream, bytes) else stream
            fresh = self._keep(stream, entries, covered)
            if fresh:
                out[stream] = fresh
        return out

    def _keep(self, stream: str, entries, covered) -> list[tuple[bytes, dict]]:
        """Entries beyond the checkpoint's offset; those at or below it are acknowledged."""
        limit = covered.get(stream)
        old = [e[0] for e in entries if e[1] is None or (limit is not None and parse_id(e[0]) <= limit)]
        if old:
            self.client.xack(stream, self.group, *old)
        skip = set(old)
        return [(i, f) for i, f in entries if i not in skip]

    def _spool(self, entries: dict[str, list[tuple[bytes, dict]]]) -> list[FileStamp]:
        stamps = []
        for stream, rows in entries.items():
            lines = [_line(stream, i, f) for i, f in rows]
            first, last = rows[0][0].decode(), rows[-1][0].decode()
            path = self.root / f"{quote(stream, safe='')}~{first}~{last}.jsonl"
            atomic_write_bytes(path, b"".join(lines))
            stamps.append(self._stamp(path))
        return stamps

    def _tidy(self, known: dict[str, FileStamp]) -> dict[str, tuple[str, str]]:
        """Acknowledge and remove the segments the checkpoint records; their id ranges."""
        ranges = {}
        for path in self._segments():
            if path.name not in known:
                continue
            m = _SEGMENT.match(path.name)
            stream = unquote(m["stream"])
            self._ack_range(stream, m["first"], m["last"])
            path.unlink(missing_ok=True)
            ranges[stream] = (m["first"], m["last"])
        return ranges

    def _ack_range(self, stream: str, first: str, last: str) -> None:
        start = first
        while True:
            pending = self.client.xpending_range(stream, self.group, min=start, max=last,
                                                 count=1000, consumername=self.consumer)
            if not pending:
                return
            self.client.xack(stream, self.group, *[p["message_id"] for p in pending])
            if len(pending) < 1000:
                return
            ms, seq = parse_id(pending[-1]["message_id"])
            start = f"{ms}-{seq + 1}"

    def _prune(self, files: dict[str, FileStamp]) -> None:
        """Keep, per stream, only the newest recorded segment (it carries the offset)."""
        newest = self.offsets(files)
        spooled = {p.name for p in self._segments()}
        for name in list(files):
            m = _SEGMENT.match(name)
            if m is None or name in spooled:
                continue
            stream = unquote(m["stream"])
            if stream in newest and parse_id(m["last"]) < newest[stream]:
                del files[name]

    def close(self) -> None:
        try:
            self.client.close()
        except Exception:  # noqa: BLE001 - closing a dead connection
            pass


def _line(stream: str, entry_id: bytes, fields: dict) -> bytes:
    """One JSON line for the reader. An entry without a ``post`` field becomes a line the
    reader quarantines (not JSON), naming the stream and entry id."""
    payload = fields.get(FIELD) if fields else None
    if payload is None:
        names = ", ".join(sorted(k.decode("utf-8", "replace") for k in (fields or {})))
        return (f"!no-post-field: stream {stream} entry {entry_id.decode()} has no 'post' "
                f"field (fields: {names or 'none'})\n").encode()
    # JSON allows no raw line break inside a value: between tokens it is a space
    return payload.replace(b"\r", b" ").replace(b"\n", b" ") + b"\n"


class AlertStream:
    """The alert feed, produced to a stream too, exactly once per alert.

    The feed (``alerts.jsonl``) is the truth; ``publish(feed.alerts)`` sends the alerts past
    the count already published, and the ``XADD``s and the new count (hash
    ``<stream>:published``, field ``key``) go in one ``MULTI``/``EXEC`` transaction, so a crash
    or a lost connection publishes each alert once. Each entry: ``alert`` (the JSON),
    ``alert_id``, ``source`` (the batch's stream id ranges, when known).
    """

    def __init__(self, client, stream: str, *, key: str, source: RedisStreamSource | None = None,
                 chunk: int = 200):
        self.client = client
        self.stream = stream
        self.key = key
        self.source = source
        self.chunk = chunk
        self.published_key = f"{stream}:published"

    def publish(self, alerts: list[dict]) -> int:
        import redis

        sent = 0
        try:
            while True:
                with self.client.pipeline(transaction=True) as pipe:
                    pipe.watch(self.published_key)
                    done = int(pipe.hget(self.published_key, self.key) or 0)
                    todo = alerts[done:done + self.chunk]
                    if not todo:
                        return sent
                    pipe.multi()
                    for alert in todo:
                        ranges = self.source.batches.get(alert.get("batch")) if self.source else None
                        pipe.xadd(self.stream, {
                            "alert": orjson.dumps(alert, option=orjson.OPT_NON_STR_KEYS),
                            "alert_id": alert["alert_id"], "key": self.key,
                            "source": orjson.dumps(ranges or {}),
                        })
                    pipe.hset(self.published_key, self.key, done + len(todo))
                    try:
                        pipe.execute()
                    except redis.WatchError:  # another writer with the same key: read again
                        continue
                    sent += len(todo)
        except _connection_errors() as exc:
            log.warning("broker: alerts to %s not published yet (%s: %s)", self.stream,
                        type(exc).__name__, exc)
            return sent
