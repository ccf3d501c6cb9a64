"""`techmatch match / feedback / train-ranker / duplicates` on the samples with the real encoder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.indexers.ingest.normalize import normalize
from techmatch.matcher.scorer import load_current, load_model
from techmatch.models.records import record_type
from techmatch.models.signals import SIGNAL_LABELS

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
FILES = {"need": "needs.jsonl", "achievement": "achievements.jsonl", "expert": "experts.jsonl"}
pytestmark = pytest.mark.slow  # encodes the ~210 sample records with e5-small


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("cli-match")
    for kind, name in FILES.items():
        result = CliRunner().invoke(app, ["ingest", str(SAMPLES / name), "--kind", kind,
                                          "--home", str(home)])
        assert result.exit_code == 0, result.output
    return home


def _run(home: Path, *args: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(app, [*args, "--home", str(home), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _assert_spans(query_text: str, ranking: dict) -> int:  # type: ignore[type-arg]
    checked = 0
    for hit in ranking["hits"]:
        text = record_type(hit["kind"]).model_validate(hit["record"]).text()
        for term in hit["explanation"]["matched_terms"]:
            for s, e in term["query_spans"]:
                assert normalize(query_text[s:e]) == term["term"]
            for s, e in term["record_spans"]:
                assert normalize(text[s:e]) == term["term"]
            checked += 1
    return checked


def test_match_explains_with_real_spans(home: Path) -> None:
    need = record_type("need").model_validate_json(
        (SAMPLES / FILES["need"]).read_text(encoding="utf-8").splitlines()[0])
    ranking = _run(home, "match", need.id, "--kind", "achievement", "--k", "5")
    assert len(ranking["hits"]) == 5 and _assert_spans(need.text(), ranking) > 0
    top = ranking["hits"][0]
    assert 0.0 <= top["confidence"] <= 1.0 and top["explanation"]["record_sentence"]
    experts = _run(home, "match", need.id, "--kind", "expert", "--k", "3")
    assert experts["hits"][0]["explanation"]["works"]


def test_match_prints_chinese_labels_for_staff(home: Path) -> None:
    result = CliRunner().invoke(app, ["match", "N001", "--kind", "achievement", "--k", "2",
                                      "--home", str(home)])
    assert result.exit_code == 0, result.output
    ranking = _run(home, "match", "N001", "--kind", "achievement", "--k", "2")
    first = ranking["hits"][0]
    assert f"置信度 {first['confidence']:.3f}" in result.stdout
    assert "匹配词：" in result.stdout and "主要信号：" in result.stdout
    top = next(c for c in first["explanation"]["contributions"] if abs(c["contribution"]) > 1e-9)
    assert f"{SIGNAL_LABELS[top['name']]} {top['contribution']:+.3f}" in result.stdout
    assert "signals:" not in result.stdout and "terms:" not in result.stdout
    experts = CliRunner().invoke(app, ["match", "N001", "--kind", "expert", "--k", "1",
                                       "--home", str(home)])
    assert experts.exit_code == 0 and "代表成果 " in experts.stdout, experts.output


def test_feedback_validation_and_training_report(home: Path) -> None:
    bad = CliRunner().invoke(app, ["feedback", "N001", "A099", "--label", "rejected",
                                   "--home", str(home)])
    assert bad.exit_code == 2 and "reason" in bad.output
    fb = _run(home, "feedback", "N001", "A099", "--label", "rejected", "--reason",
              "not_relevant")
    assert fb["label"] == "rejected" and fb["reason"] == "not_relevant"
    out = _run(home, "train-ranker", "--qrels", str(SAMPLES / "qrels.tsv"))
    assert out["version"] == 1 and set(out["kinds"]) == {"achievement", "expert"}
    # the home now ranks with its own model, calibrated on the sample qrels (the note that
    # no calibration applies is tested where it can appear: tests/matcher/test_service.py)
    own = load_current(home)
    assert own is not None and own.version == 1
    assert own.models["achievement"].calibrated and own.models["expert"].calibrated


def test_duplicates_report(home: Path) -> None:
    out = _run(home, "duplicates", "--kind", "achievement", "--threshold", "0.9")
    pairs = {(p["a"], p["b"]) for p in out["pairs"]}
    assert ("A001", "A042") in pairs


def _weights(model: object) -> dict[str, list[float]]:
    return {k: m.weights for k, m in model.models.items()}  # type: ignore[attr-defined]


def test_training_from_feedback_again_counts_the_feedback_once(home: Path) -> None:
    """Staff ran `train-ranker --from-feedback` every night: each run adapted the previous
    night's feedback-adapted model with the same judgements again (prior: 'feedback'), so
    the shipped / own model's share shrank run by run as if the judgements were new."""
    for need, cand, label in (("N002", "A004", "accepted"), ("N002", "A005", "deal"),
                              ("N003", "A007", "accepted"), ("N004", "A010", "contacted")):
        _run(home, "feedback", need, cand, "--label", label)
    _run(home, "feedback", "N003", "A008", "--label", "rejected", "--reason", "not_relevant")
    first = _run(home, "train-ranker", "--from-feedback")
    second = _run(home, "train-ranker", "--from-feedback")
    assert second["version"] == first["version"] + 1
    one = load_model(Path(first["path"]))
    two = load_model(Path(second["path"]))
    assert one.trained_on["prior"] == two.trained_on["prior"]
    assert two.trained_on["prior"]["source"] != "feedback"  # type: ignore[index]
    ws, ones = _weights(two), _weights(one)
    assert set(ws) == set(ones)
    for kind, weights in ws.items():  # the same fit again (solver rounding aside)
        assert weights == pytest.approx(ones[kind], rel=1e-6, abs=1e-9)


def test_feedback_says_what_it_moved_in_chinese(home: Path) -> None:
    """`techmatch feedback N006 A016 --label deal` printed 'feedback #N: N006 → A016 deal': not
    that the pair's docking was now 签约 nor that the need had become 已匹配 (and so left the
    nightly batch)."""
    from techmatch.config import Settings
    from techmatch.store.dockings import DockingRepo
    from techmatch.store.factory import open_store

    result = CliRunner().invoke(app, ["feedback", "N006", "A016", "--label", "deal",
                                      "--home", str(home)])
    assert result.exit_code == 0, result.output
    store = open_store(Settings(home=home))
    docking = DockingRepo(store).find_pair("N006", "A016")
    need = store.get("N006", "need")
    store.close()
    assert docking is not None and docking.stage == "signed"
    assert f"对接 {docking.id} 现为 签约" in result.stdout and "成交" in result.stdout
    assert getattr(need, "status", None) == "matched"
    assert "需求 N006 状态改为 已匹配" in result.stdout
    again = _run(home, "feedback", "N006", "A016", "--label", "deal")
    assert again["stage"] == "signed" and again.get("need_status") is None  # nothing changed


def test_feedback_rejected_as_already_solved_closes_the_need(home: Path) -> None:
    """A rejection as 需求已解决 left the need open (still in the nightly batch); the CLI closes
    it as the console and the API do, and says so."""
    from techmatch.config import Settings
    from techmatch.store.factory import open_store

    result = CliRunner().invoke(app, ["feedback", "N012", "A016", "--label", "rejected",
                                      "--reason", "already_solved", "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert "需求 N012 状态改为 已关闭（不再进入每晚批量匹配）" in result.stdout
    store = open_store(Settings(home=home))
    need = store.get("N012", "need")
    store.close()
    assert getattr(need, "status", None) == "closed"


def test_ids_typed_full_width_name_the_stored_records(home: Path) -> None:
    """`techmatch get Ｎ００１` (a Chinese input method's full-width forms) said 'not found'
    while ingest and the API read Ｎ００１ as N001; the CLI's record ids are folded the same way."""
    assert _plain(home, "get", "Ｎ００１") == _plain(home, "get", "N001")
    wide = _run(home, "match", "Ｎ００１", "--kind", "achievement", "--k", "2")
    assert [h["id"] for h in wide["hits"]] == \
        [h["id"] for h in _run(home, "match", "N001", "--kind", "achievement", "--k", "2")["hits"]]


def _plain(home: Path, *args: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(app, [*args, "--home", str(home)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
