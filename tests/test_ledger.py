"""The content-hash ledger: one claim per content, released by failed runs."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from retailctl import ledger
from retailctl.storage import LocalStore


def test_first_claim_wins_and_later_claims_point_at_it(store: LocalStore) -> None:
    first = ledger.claim(store, "ab" * 32, "a.csv", "RUN1", 10)
    again = ledger.claim(store, "ab" * 32, "copy of a.csv", "RUN2", 10)
    assert first.ours
    assert not again.ours
    assert again.entry.ingest_run_id == "RUN1"
    assert again.entry.file == "a.csv"
    assert ledger.claim(store, "ab" * 32, "a.csv", "RUN1", 10).ours


def test_release_only_drops_the_runs_own_claim(store: LocalStore) -> None:
    ledger.claim(store, "cd" * 32, "a.csv", "RUN1", 10)
    ledger.release(store, "cd" * 32, "RUN2")
    assert ledger.lookup(store, "cd" * 32) is not None
    ledger.release(store, "cd" * 32, "RUN1")
    assert ledger.lookup(store, "cd" * 32) is None
    assert ledger.claim(store, "cd" * 32, "b.csv", "RUN3", 10).ours


def test_concurrent_claims_have_one_winner(store: LocalStore) -> None:
    with ThreadPoolExecutor(8) as pool:
        claims = list(pool.map(lambda i: ledger.claim(store, "ef" * 32, f"f{i}.csv", f"RUN{i}", 1), range(16)))
    assert sum(c.ours for c in claims) == 1
    assert len({c.entry.ingest_run_id for c in claims}) == 1
