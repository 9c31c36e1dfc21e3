"""The ObjectStore contract, one suite for every implementation (local directory, moto, real S3 server)."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from retailctl.errors import ObjectNotFound, StorageError, UnsafeKey
from retailctl.storage import LocalStore, ObjectStore, sha256_of

ODD_KEYS = [
    "raw/sales 2026-01-02.csv",
    "raw/ventes été/übersicht (1).csv",
    "raw/#hash#/a+b=c&d.csv",
    "raw/日本語/売上.csv",
    'raw/quote\'s "double".csv',
    "raw/percent%20encoded%2F.csv",
]


def keys(store: ObjectStore, prefix: str = "") -> list[str]:
    return [info.key for info in store.list(prefix)]


def test_list_is_recursive_in_key_order_and_filters_by_prefix(any_store: ObjectStore) -> None:
    for key in ["raw/b.csv", "raw/a/z.csv", "raw/a.csv", "raw2/x.csv", "validated/a/b/c.csv", "rawfile"]:
        any_store.write(key, key.encode())

    assert keys(any_store) == sorted(
        ["raw/a.csv", "raw/a/z.csv", "raw/b.csv", "raw2/x.csv", "rawfile", "validated/a/b/c.csv"]
    )
    assert keys(any_store, "raw/") == ["raw/a.csv", "raw/a/z.csv", "raw/b.csv"]
    assert keys(any_store, "raw") == ["raw/a.csv", "raw/a/z.csv", "raw/b.csv", "raw2/x.csv", "rawfile"]
    assert keys(any_store, "raw/a") == ["raw/a.csv", "raw/a/z.csv"]
    assert keys(any_store, "validated/a/") == ["validated/a/b/c.csv"]
    assert keys(any_store, "nothing/") == []


def test_list_reports_size_and_etag(any_store: ObjectStore) -> None:
    any_store.write("a/one.csv", b"12345")
    [info] = list(any_store.list("a/"))
    assert (info.key, info.size) == ("a/one.csv", 5)
    assert info.etag
    assert info.last_modified.tzinfo is not None


def test_read_whole_and_ranges(any_store: ObjectStore) -> None:
    any_store.write("r/data.bin", b"0123456789")
    any_store.write("r/empty.bin", b"")

    assert any_store.read("r/data.bin") == b"0123456789"
    assert any_store.read_range("r/data.bin", 0, 4) == b"0123"
    assert any_store.read_range("r/data.bin", 7, 100) == b"789"
    assert any_store.read_range("r/data.bin", 10, 5) == b""
    assert any_store.read_range("r/data.bin", 50, 5) == b""
    assert any_store.read_range("r/data.bin", 3, 0) == b""
    assert any_store.read("r/empty.bin") == b""
    assert any_store.read_range("r/empty.bin", 0, 1024) == b""


def test_reading_a_missing_object_raises_object_not_found(any_store: ObjectStore) -> None:
    for read in (
        lambda: any_store.read("no/such.csv"),
        lambda: any_store.read_range("no/such.csv", 0, 10),
        lambda: any_store.read_range("no/such.csv", 0, 0),
        lambda: list(any_store.iter_chunks("no/such.csv")),
        lambda: any_store.head("no/such.csv"),
    ):
        with pytest.raises(ObjectNotFound) as raised:
            read()
        assert raised.value.key == "no/such.csv"
        assert "no/such.csv" in str(raised.value)


def test_write_replaces_the_whole_object(any_store: ObjectStore) -> None:
    any_store.write("w/file.json", b"a much longer first version")
    any_store.write("w/file.json", b"short")
    assert any_store.read("w/file.json") == b"short"
    assert keys(any_store) == ["w/file.json"]


def test_concurrent_readers_see_old_or_new_never_a_part(any_store: ObjectStore, request: pytest.FixtureRequest) -> None:
    if request.node.callspec.params["any_store"] == "moto":
        pytest.skip("moto's in-memory S3 is not atomic under concurrent reads and writes; the real server is")
    old, new = b"o" * 200_000, b"n" * 300_000
    any_store.write("w/state.json", old)
    seen: set[bytes] = set()
    done = threading.Event()

    def read_until_done() -> None:
        while not done.is_set():
            seen.add(any_store.read("w/state.json"))

    with ThreadPoolExecutor(max_workers=1) as pool:
        reader = pool.submit(read_until_done)
        for _ in range(3):
            any_store.write("w/state.json", new)
            any_store.write("w/state.json", old)
        done.set()
        reader.result()
    assert seen <= {old, new}


def test_create_if_absent_writes_once(any_store: ObjectStore) -> None:
    assert any_store.create_if_absent("claims/run.json", b"first") is True
    assert any_store.create_if_absent("claims/run.json", b"second") is False
    assert any_store.read("claims/run.json") == b"first"
    assert keys(any_store) == ["claims/run.json"]


def test_create_if_absent_has_one_winner_under_concurrency(any_store: ObjectStore, request: pytest.FixtureRequest) -> None:
    if request.node.callspec.params["any_store"] == "moto":
        pytest.skip("moto checks If-None-Match and stores the object in two steps, so racing writers can both win; the real server decides atomically")
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(
            pool.map(lambda n: any_store.create_if_absent("claims/race.json", b"%d" % n), range(6))
        )
    assert results.count(True) == 1
    assert any_store.read("claims/race.json") == b"%d" % results.index(True)


def test_copy_keeps_the_source(any_store: ObjectStore) -> None:
    any_store.write("raw/a.csv", b"x,y\n1,2\n")
    any_store.copy("raw/a.csv", "archive/a.csv")
    assert any_store.read("archive/a.csv") == b"x,y\n1,2\n"
    assert any_store.exists("raw/a.csv")
    with pytest.raises(ObjectNotFound) as raised:
        any_store.copy("raw/missing.csv", "archive/missing.csv")
    assert raised.value.key == "raw/missing.csv"
    assert not any_store.exists("archive/missing.csv")


def test_move_removes_the_source(any_store: ObjectStore) -> None:
    any_store.write("raw/dir/a.csv", b"data")
    any_store.write("validated/dir/a.csv", b"older copy")
    any_store.move("raw/dir/a.csv", "validated/dir/a.csv")
    assert any_store.read("validated/dir/a.csv") == b"data"
    assert not any_store.exists("raw/dir/a.csv")
    assert keys(any_store, "raw/") == []
    with pytest.raises(ObjectNotFound) as raised:
        any_store.move("raw/dir/a.csv", "validated/dir/b.csv")
    assert raised.value.key == "raw/dir/a.csv"
    assert not any_store.exists("validated/dir/b.csv")


def test_delete_and_missing_delete(any_store: ObjectStore) -> None:
    any_store.write("d/a.csv", b"1")
    any_store.delete("d/a.csv")
    any_store.delete("d/a.csv")
    any_store.delete("never/was.csv")
    assert not any_store.exists("d/a.csv")
    assert keys(any_store) == []


def test_delete_prefix(any_store: ObjectStore) -> None:
    for key in [
        "_staging/run1/part-0.parquet",
        "_staging/run1/sub/part-1.parquet",
        "_staging/run10/x",
        "keep/me",
    ]:
        any_store.write(key, b"p")
    assert any_store.delete_prefix("_staging/run1/") == 2
    assert keys(any_store) == ["_staging/run10/x", "keep/me"]
    assert any_store.delete_prefix("_staging/") == 1
    assert any_store.delete_prefix("_staging/") == 0
    assert keys(any_store) == ["keep/me"]


def test_head_and_exists(any_store: ObjectStore) -> None:
    any_store.write("h/a.csv", b"abc")
    info = any_store.head("h/a.csv")
    assert (info.key, info.size) == ("h/a.csv", 3)
    assert info.etag
    assert any_store.exists("h/a.csv")
    assert not any_store.exists("h/b.csv")
    assert not any_store.exists("h")
    any_store.write("h/a.csv", b"abcd")
    changed = any_store.head("h/a.csv")
    assert changed.size == 4
    assert changed.etag != info.etag


def test_iter_chunks_and_sha256(any_store: ObjectStore) -> None:
    data = bytes(range(256)) * 40
    any_store.write("c/blob.bin", data)
    chunks = list(any_store.iter_chunks("c/blob.bin", chunk_size=1000))
    assert b"".join(chunks) == data
    assert all(len(chunk) <= 1000 for chunk in chunks)
    assert len(chunks) >= 11
    assert sha256_of(any_store, "c/blob.bin") == hashlib.sha256(data).hexdigest()
    any_store.write("c/empty.bin", b"")
    assert b"".join(any_store.iter_chunks("c/empty.bin")) == b""


def test_upload_a_local_file(any_store: ObjectStore, tmp_path: Path) -> None:
    source = tmp_path / "local sales.csv"
    source.write_bytes(b"transaction_id\nT1\n")
    any_store.upload("raw/local sales.csv", source)
    assert any_store.read("raw/local sales.csv") == b"transaction_id\nT1\n"
    source.write_bytes(b"replaced")
    any_store.upload("raw/local sales.csv", source)
    assert any_store.read("raw/local sales.csv") == b"replaced"


def test_bytes_read_counts_body_bytes_returned(any_store: ObjectStore) -> None:
    any_store.write("b/a.bin", b"0123456789")
    any_store.bytes_read = 0
    any_store.read("b/a.bin")
    any_store.read_range("b/a.bin", 8, 100)
    list(any_store.iter_chunks("b/a.bin", chunk_size=4))
    any_store.head("b/a.bin")
    list(any_store.list())
    assert any_store.bytes_read == 10 + 2 + 10


@pytest.mark.parametrize("key", ODD_KEYS)
def test_unusual_key_names_round_trip(any_store: ObjectStore, key: str) -> None:
    any_store.write(key, key.encode())
    assert any_store.read(key) == key.encode()
    assert keys(any_store, "raw/") == [key]
    assert any_store.head(key).key == key
    any_store.move(key, key + ".done")
    assert keys(any_store) == [key + ".done"]


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("", "empty"),
        ("../outside.csv", "'..'"),
        ("raw/../../outside.csv", "'..'"),
        ("/etc/passwd", "absolute"),
        ("C:/windows.csv", "absolute"),
        ("raw/a\x00b.csv", "NUL"),
        ("raw\\a.csv", "backslash"),
        ("raw//a.csv", "empty path segment"),
        ("raw/./a.csv", "'.'"),
    ],
)
def test_unsafe_keys_are_refused_naming_the_key(any_store: ObjectStore, key: str, why: str) -> None:
    any_store.write("safe.csv", b"x")
    for operation in (
        lambda: any_store.write(key, b"x"),
        lambda: any_store.read(key),
        lambda: any_store.exists(key),
        lambda: any_store.create_if_absent(key, b"x"),
        lambda: any_store.move("safe.csv", key),
        lambda: any_store.delete(key),
    ):
        with pytest.raises(UnsafeKey) as raised:
            operation()
        assert repr(key) in str(raised.value)
        assert why in str(raised.value)
    assert keys(any_store) == ["safe.csv"]


def test_local_store_refuses_a_symlink_escaping_the_root(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_bytes(b"secret")
    store = LocalStore(tmp_path / "lake")
    store.root.mkdir()
    (store.root / "raw").symlink_to(outside, target_is_directory=True)

    for operation in (
        lambda: store.read("raw/secret.csv"),
        lambda: store.write("raw/new.csv", b"x"),
        lambda: store.delete("raw/secret.csv"),
    ):
        with pytest.raises(StorageError, match=r"'raw/\w+\.csv'.*outside"):
            operation()
    assert (outside / "secret.csv").read_bytes() == b"secret"
    assert not (outside / "new.csv").exists()
