"""The affinity cache's rows written and read in bulk (referee.assignments.affinities): a call's
half a million pairs through PostgreSQL's binary COPY both ways, and SQLite's executemany."""

import os
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
from django.db import connection
from django.utils import timezone

from referee.assignments.models import AffinityScore


def insert_rows(columns, fixed) -> None:
    """SQLite: one prepared INSERT run over plain tuples (`executemany`). Building a model
    instance per pair made a call of a million pairs hold the database's only write lock for
    minutes; this is the same rows at a tenth of the cost. Values are as Django stores them
    there: UUIDs as 32 hex digits, times as ISO text."""
    now = timezone.now()
    stamp, computed = (connection.ops.adapt_datetimefield_value(t) for t in (now, fixed["computed_at"]))
    names = ("uuid", "created", "modified", "call_id", "method", "keyword_weight", "text_weight", "computed_at",
             "proposal_id", "reviewer_id", "affinity_score", "keyword_score", "text_score", "best_publication_pk",
             "best_publication_similarity")
    head = (stamp, stamp, fixed["call_id"], fixed["method"], fixed["keyword_weight"], fixed["text_weight"], computed)
    rows = ((uuid.uuid4().hex, *head, *values) for values in zip(*(column.tolist() for column in columns), strict=True))
    sql = (f"INSERT INTO {AffinityScore._meta.db_table} ({', '.join(names)}) "
           f"VALUES ({', '.join('?' for _ in names)})")
    with connection.cursor() as cursor:
        cursor.cursor.executemany(sql, rows)  # sqlite3's own: Django's debug wrapper would list() the rows


# PostgreSQL's binary COPY, both ways.
# The format: a fixed header, then per row an int16 field count and, per field, an int32 length
# and the value in network byte order (timestamps: µs since 2000-01-01 UTC); a -1 trailer.
PGCOPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
PGCOPY_TRAILER = b"\xff\xff"
PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
COPY_CHUNK = 1 << 23
COPY_OUT_COLUMNS = (("p", ">i8"), ("r", ">i8"), ("a", ">f8"), ("k", ">f8"), ("t", ">f8"))


def copy_in(columns, fixed, now) -> None:
    """All pairs in one binary `COPY … FROM STDIN`, built by numpy as one record array.

    Every row has the same layout (the text column `method` is the same for all), so the whole
    payload is a numpy structured array: no Python object per pair. It is the cheapest way into
    PostgreSQL — an INSERT … SELECT FROM unnest(arrays) spends seconds adapting and parsing the
    half-million-element arrays, row-by-row ORM inserts minutes (generation's 10 s budget)."""
    p, r, a, k, t, best, similarity = columns
    n = len(p)
    method = fixed["method"].encode()

    def stamp(moment):
        return (moment - PG_EPOCH) // timedelta(microseconds=1)

    values = [  # (column, numpy type, value: an array or one value for every row)
        ("uuid", "V16", uuid7_bytes(n, now)), ("created", ">i8", stamp(now)), ("modified", ">i8", stamp(now)),
        ("call_id", ">i8", fixed["call_id"]), ("method", f"S{len(method)}", method),
        ("keyword_weight", ">f8", fixed["keyword_weight"]), ("text_weight", ">f8", fixed["text_weight"]),
        ("computed_at", ">i8", stamp(fixed["computed_at"])), ("proposal_id", ">i8", p), ("reviewer_id", ">i8", r),
        ("affinity_score", ">f8", a), ("keyword_score", ">f8", k), ("text_score", ">f8", t),
        ("best_publication_pk", ">i8", best), ("best_publication_similarity", ">f8", similarity),
    ]
    dtype = np.dtype([("fields", ">i2")] + [
        spec for name, kind, _ in values for spec in ((f"{name}_size", ">i4"), (name, kind))
    ])
    rows = np.empty(n, dtype=dtype)
    rows["fields"] = len(values)
    for name, kind, value in values:
        rows[f"{name}_size"] = np.dtype(kind).itemsize
        rows[name] = value
    payload = memoryview(b"".join((PGCOPY_HEADER, rows.tobytes(), PGCOPY_TRAILER)))
    names = ", ".join(name for name, _, _ in values)
    sql = f"COPY {AffinityScore._meta.db_table} ({names}) FROM STDIN (FORMAT BINARY)"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for start in range(0, len(payload), COPY_CHUNK):
            copy.write(payload[start:start + COPY_CHUNK])


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {AffinityScore._meta.db_table}")


def uuid7_bytes(n: int, moment: datetime) -> np.ndarray:
    """n version-7 UUIDs (RFC 9562) as 16-byte records, increasing in row order: the 48-bit
    Unix-millisecond timestamp, then a 32-bit row counter in rand_a and the top of rand_b
    (the RFC's "fixed-length dedicated counter" method), then 42 random bits."""
    if n >= 1 << 32:
        raise ValueError("at most 2**32 rows per COPY")
    millis = np.uint64(int(moment.timestamp() * 1000))
    counter = np.arange(n, dtype=np.uint64)
    random = np.frombuffer(os.urandom(8 * n), dtype=np.uint64) >> np.uint64(22)
    high = (millis << np.uint64(16)) | np.uint64(0x7000) | (counter >> np.uint64(20))
    low = np.uint64(1 << 63) | ((counter & np.uint64(0xFFFFF)) << np.uint64(42)) | random
    return np.stack([high, low], axis=1).astype(">u8").view("V16").ravel()


def copy_out(call):
    """Binary `COPY (SELECT …) TO STDOUT` parsed by numpy: building half a million row tuples
    through the ORM costs seconds, this a tenth of one. NULLs become NaN in SQL, so every row
    has the same layout: int16 field count, then (int32 length, value) per field."""
    table = AffinityScore._meta.db_table
    sql = (f"COPY (SELECT proposal_id, reviewer_id, affinity_score, COALESCE(keyword_score, 'NaN'),"
           f" COALESCE(text_score, 'NaN') FROM {table} WHERE call_id = {int(call.id)}) TO STDOUT (FORMAT BINARY)")
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        data = b"".join(bytes(chunk) for chunk in copy)
    extension = int.from_bytes(data[len(PGCOPY_HEADER) - 4:len(PGCOPY_HEADER)], "big")
    body = data[len(PGCOPY_HEADER) + extension:-len(PGCOPY_TRAILER)]
    dtype = np.dtype([("fields", ">i2")] + [spec for name, kind in COPY_OUT_COLUMNS
                                             for spec in ((f"{name}_size", ">i4"), (name, kind))])
    rows = np.frombuffer(body, dtype=dtype)
    return tuple(rows[name].astype(np.int64 if kind == ">i8" else float) for name, kind in COPY_OUT_COLUMNS)
