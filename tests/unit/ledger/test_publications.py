"""A run's publication to CloudWatch, recorded beside its ledger: claimed once, again only when asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainprobe.ledger.publications import Publications

WHERE = {"namespace": "Chainprobe", "dimensions": {"Probe": "shop"}}


def test_records_live_beside_the_ledger(tmp_path: Path) -> None:
    publications = Publications.beside(tmp_path / "ledger.sqlite")
    publications.claim("r-1", **WHERE)  # type: ignore[arg-type]
    assert (tmp_path / "ledger.sqlite.published" / "r-1.json").exists()


def test_a_run_is_claimed_once(tmp_path: Path) -> None:
    publications = Publications(tmp_path)

    first = publications.claim("r-1", **WHERE)  # type: ignore[arg-type]
    second = publications.claim("r-1", **WHERE)  # type: ignore[arg-type]

    assert first is not None and first.times == 1
    assert second is None
    recorded = publications.get("r-1")
    assert recorded is not None and (recorded.namespace, recorded.dimensions) == (
        "Chainprobe",
        {"Probe": "shop"},
    )
    assert recorded.describe().endswith("to Chainprobe (Probe=shop)")
    assert publications.get("r-2") is None


def test_again_counts_each_publication_and_release_gives_one_back(tmp_path: Path) -> None:
    publications = Publications(tmp_path)
    publications.claim("r-1", **WHERE)  # type: ignore[arg-type]

    again = publications.claim("r-1", again=True, **WHERE)  # type: ignore[arg-type]
    assert again is not None and again.times == 2
    publications.release(again)
    back = publications.get("r-1")
    assert back is not None and back.times == 1
    publications.release(back)
    assert publications.get("r-1") is None


def test_a_claim_another_process_is_writing_counts_as_published(tmp_path: Path) -> None:
    publications = Publications(tmp_path)
    (tmp_path / "r-1.json").write_text("")  # created exclusively, its record not written yet

    assert publications.claim("r-1", **WHERE) is None  # type: ignore[arg-type]
    recorded = publications.get("r-1")
    assert recorded is not None and recorded.namespace == "?"


@pytest.mark.parametrize("run_id", ["", "../r-1", ".hidden"])
def test_a_run_id_is_never_a_path(tmp_path: Path, run_id: str) -> None:
    with pytest.raises(ValueError, match="not a run id"):
        Publications(tmp_path).get(run_id)


def test_of_two_processes_claiming_at_once_only_one_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = Publications(tmp_path), Publications(tmp_path)
    monkeypatch.setattr(second, "get", lambda _run_id: None)  # it looked before the first one claimed

    assert first.claim("r-1", **WHERE) is not None  # type: ignore[arg-type]
    assert second.claim("r-1", **WHERE) is None  # type: ignore[arg-type]
