"""An evaluator's runs of `eval`, `tune`, `train-ranker` on damaged or unusual BEIR sets."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from techmatch.cli import app


def _copy(tiny_dataset: Path, tmp_path: Path) -> Path:
    target = tmp_path / "set"
    shutil.copytree(tiny_dataset, target)
    return target


def _set_query_text(dataset: Path, qid: str, text: str) -> None:
    path = dataset / "queries.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        if row["_id"] == qid:
            row["text"] = text
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")


def test_train_ranker_skips_and_reports_a_query_with_empty_text(tiny_dataset: Path,
                                                                tmp_path: Path) -> None:
    dataset = _copy(tiny_dataset, tmp_path)
    with (dataset / "qrels" / "dev.tsv").open("a", encoding="utf-8") as fh:  # enough to fit
        fh.write("q5\td11\t2\nq6\td03\t2\nq2\td01\t0\nq3\td02\t0\nq6\td01\t0\n")
    _set_query_text(dataset, "q1", "  ")
    result = CliRunner().invoke(app, ["train-ranker", "--dataset", str(dataset), "--json",
                                      "--home", str(tmp_path / "home")])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["skipped_queries"] == {"empty_text": ["q1"]}
    kind = out["kinds"]["achievement"]
    assert kind["queries"] + kind["heldout_queries"] == 5  # q2-q6


def _garble_line(path: Path, row: int) -> None:
    """Line `row` (1-based) of `path` rewritten in GBK, as a Windows export would write it."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    data = [line.encode("gbk") if i == row else line.encode("utf-8")
            for i, line in enumerate(lines, start=1)]
    path.write_bytes(b"".join(data))


def test_a_file_that_is_not_utf8_is_named_with_its_line(tiny_dataset: Path,
                                                        tmp_path: Path) -> None:
    from techmatch.errors import ValidationError
    from techmatch.eval.datasets import load_dataset, read_corpus

    dataset = _copy(tiny_dataset, tmp_path)
    cases = {"queries.jsonl": 4, "qrels/dev.tsv": 3, "corpus.jsonl": 5}
    for name, row in cases.items():
        case = tmp_path / name.replace("/", "-")
        shutil.copytree(dataset, case)
        if name.endswith(".tsv"):  # a Chinese corpus id on row 3
            lines = (case / name).read_text(encoding="utf-8").splitlines(keepends=True)
            lines.insert(2, "q1\t论文-01\t0\n")
            (case / name).write_text("".join(lines), encoding="utf-8")
        _garble_line(case / name, row)
        try:
            load_dataset(case, "dev")
            list(read_corpus(case / "corpus.jsonl"))
        except ValidationError as exc:
            assert exc.source == str(case / name) and exc.row == row, (name, str(exc))
            assert "UTF-8" in str(exc)
        else:
            raise AssertionError(f"{name}: no error")
    (dataset / "unanswerable.txt").write_bytes("q5\n# 无答案的需求\n".encode("gbk"))
    try:
        load_dataset(dataset, "dev")
    except ValidationError as exc:
        assert exc.source == str(dataset / "unanswerable.txt") and exc.row == 2, str(exc)
    else:
        raise AssertionError("unanswerable.txt: no error")


def test_eval_refuses_bad_options_before_indexing_the_corpus(tiny_dataset: Path,
                                                              tmp_path: Path) -> None:
    """A cold corpus takes minutes to encode: an option error must come first."""
    home = tmp_path / "home"
    base = ["eval", "--dataset", str(tiny_dataset), "--home", str(home), "--threads", "1"]
    cases = {("--trials", "0"): "字段 trials：应不小于 1",
             ("--half", "3"): "字段 half：应为 1 或 2",
             ("--baseline", "bm25"): "字段 baseline：未知配置 bm25；可选：",
             ("--retrievers", "lexical,ranker"): "没有训练好的排序模型"}
    for option, expected in cases.items():
        result = CliRunner().invoke(app, [*base, *option])
        assert result.exit_code == 2, (option, result.output)
        assert expected in result.stderr, (option, result.stderr)
        assert not (home / "eval").exists(), option  # nothing indexed


def test_tune_refuses_a_fold_count_before_indexing(tiny_dataset: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    for folds, expected in (("0", "应不小于 1"), ("-2", "应不小于 1"),
                            ("9", "应在 2 到查询数（4）之间")):
        result = CliRunner().invoke(app, ["tune", "--dataset", str(tiny_dataset), "--home",
                                          str(home), "--threads", "1", "--dry-run",
                                          "--folds", folds])
        assert result.exit_code == 2, (folds, result.output)
        assert "字段 folds：" in result.stderr and expected in result.stderr, result.stderr
        assert not (home / "eval").exists(), folds  # nothing indexed


def test_a_metric_cut_deeper_than_the_runs_deepens_them(tiny_dataset: Path, eval_settings,
                                                        raw_encoder, vector_cache) -> None:
    """recall@5 over runs cut at 2 would silently be recall@2."""
    from techmatch.eval.runner import EvalOptions, run_evaluation
    from techmatch.indexers.vector_cache import CachedEncoder

    def recall(k: int) -> tuple[float, int]:
        report = run_evaluation(tiny_dataset, eval_settings, EvalOptions(
            configs=("lexical",), metrics=("recall@5", "recall@2"), k=k, trials=10),
            encoder=CachedEncoder(raw_encoder, vector_cache))
        return report["configs"]["lexical"]["recall@5"], report["settings"]["k"]

    deep, _ = recall(100)
    value, k = recall(2)
    assert k == 5 and value == deep


def test_qrels_grading_experts_are_noted_when_achievements_are_scored(
        tiny_dataset: Path, tmp_path: Path, eval_settings, encoder) -> None:
    """An expert set's qrels grade experts: its achievement table is all 0 and must say why."""
    from techmatch.eval.runner import EvalOptions, run_evaluation

    dataset = _copy(tiny_dataset, tmp_path)
    (dataset / "qrels" / "dev.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\te1\t2\nq2\te2\t2\n", encoding="utf-8")
    report = run_evaluation(dataset, eval_settings, EvalOptions(
        configs=("lexical",), metrics=("ndcg@10",), trials=10), encoder=encoder)
    assert report["configs"]["lexical"]["ndcg@10"] == 0.0
    assert report["experts"]["metrics"]["ndcg@10"] > 0.0
    note = [n for n in report["notes"] if "相关语料编号" in n]
    assert len(note) == 1 and "有 2 个相关" in note[0] and "'e1', 'e2'" in note[0], note


def test_training_option_typos_are_refused_before_any_feature_row(tiny_dataset: Path,
                                                                   tmp_path: Path) -> None:
    """loso --objective/--features and train-ranker --calibration were checked only when the
    first model was fitted, after every query of a set was ranked for its feature rows."""
    home = tmp_path / "home"
    two = ["--dataset", str(tiny_dataset), "--dataset", str(_copy(tiny_dataset, tmp_path))]
    cases = {("loso", *two, "--objective", "listwise"): "字段 objective：未知拟合目标 'listwise'",
             ("loso", *two, "--features", "hybrid_mmx"):
             "字段 features：未知排序特征 ['hybrid_mmx']",
             ("loso", *two, "--half", "1", "--objective", "x"): "字段 objective：",
             ("train-ranker", "--dataset", str(tiny_dataset), "--calibration", "beta"):
             "字段 calibration：未知校准方法 'beta'"}
    for args, expected in cases.items():
        result = CliRunner().invoke(app, [*args, "--home", str(home)])
        assert result.exit_code == 2, (args, result.output)
        assert expected in result.stderr, (args, result.stderr)
        assert not (home / "eval").exists(), args  # no set was loaded


def test_a_metric_typo_lists_every_metric_family() -> None:
    import pytest

    from techmatch.errors import ValidationError
    from techmatch.eval.metrics import parse_metric

    with pytest.raises(ValidationError) as err:
        parse_metric("ndcg-exp@10")
    for family in ("ndcg[@k]", "ndcg_exp[@k]", "mrr[@k]", "recall@k", "map[@k]",
                   "precision@k"):
        assert family in str(err.value)
    for name in ("ndcg_exp@10", "P@5", "map@100"):  # each family listed is accepted
        parse_metric(name)


def test_expert_qrels_naming_an_unknown_query_is_an_error(tiny_dataset: Path,
                                                          tmp_path: Path) -> None:
    """As qrels/<split>.tsv: a judged query that queries.jsonl lacks names file and row."""
    import pytest

    from techmatch.errors import ValidationError
    from techmatch.eval.datasets import load_dataset

    dataset = _copy(tiny_dataset, tmp_path)
    judged = dataset / "qrels" / "dev-experts.tsv"
    judged.write_text("query-id\tcorpus-id\tscore\nq1\te1\t2\nq9\te2\t1\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        load_dataset(dataset, "dev")
    assert err.value.source == str(judged) and err.value.row == 3
    assert err.value.field == "query-id" and "q9" in str(err.value)


def test_expert_ids_and_works_the_set_lacks_are_noted(tiny_dataset: Path, tmp_path: Path,
                                                      eval_settings, encoder) -> None:
    from techmatch.eval.runner import EvalOptions, run_evaluation

    dataset = _copy(tiny_dataset, tmp_path)
    (dataset / "qrels" / "dev-experts.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\te1\t2\nq2\te2\t2\nq2\te-gone\t2\n", encoding="utf-8")
    experts = dataset / "experts.jsonl"
    rows = [json.loads(line) for line in experts.read_text(encoding="utf-8").splitlines()]
    rows[0]["works"] = [*rows[0]["works"], "d99"]
    experts.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                       encoding="utf-8")
    report = run_evaluation(dataset, eval_settings, EvalOptions(
        configs=("lexical",), metrics=("ndcg@10",), trials=10), encoder=encoder)
    notes = "\n".join(report["notes"])
    assert "qrels/dev-experts.tsv 中有 1 个相关专家编号不在 experts.jsonl 中" in notes
    assert "'e-gone'" in notes
    assert "1 位专家的 1 项成果不在 corpus.jsonl 中" in notes and "'d99'" in notes
    assert "已载入 6 位专家（新增 6，更新 0，未变 0）" in notes  # not a dict


def test_report_md_says_why_a_table_is_empty() -> None:
    """Only the baseline run, or an unanswerable set scored without a ranker: report.md
    printed a table header with no rows."""
    from techmatch.eval.report import render_markdown

    test = {"delta": 0.0, "p_randomization": 1.0, "p_ttest": 1.0}
    report = {"dataset": "s", "split": "dev", "queries": 2, "corpus": {"records": 12},
              "settings": {"encoder": "e5-small", "k": 100},
              "configs": {"lexical": {"ndcg@10": 0.9}}, "params": {},
              "significance": {"baseline": "lexical", "tests": {}},
              "failures": {"lexical": {"1-ndcg@10": 0.1, "1-ndcg_exp@10": 0.1, "count": 0,
                                       "queries": []}},
              "recall_curve": {}, "notes": [], "abstention": {}}
    md = render_markdown(report)
    assert "| 配置 | ndcg@10 |\n|---|---|\n\n" not in md
    assert "除基线外没有运行其他配置。" in md
    assert "由排序模型配置（ranker、ranker-default、ranker-untrained）测量；本次没有运行。" in md
    report["significance"]["tests"] = {"dense": {"ndcg@10": test}}  # type: ignore[index]
    assert "| dense | +0.0000 (1 / 1) |" in render_markdown(report)


def test_crosslingual_builder_refuses_to_write_over_its_source(tiny_dataset: Path,
                                                               tmp_path: Path) -> None:
    """--out = --source replaced corpus.jsonl by a link to itself and overwrote the queries."""
    import pytest

    from techmatch.errors import ValidationError
    from techmatch.eval.crosslingual_set import build

    dataset = _copy(tiny_dataset, tmp_path)
    before = {p.name: p.read_bytes() for p in (dataset / "corpus.jsonl",
                                               dataset / "queries.jsonl")}
    (tmp_path / "alias").symlink_to(dataset)
    for out in (dataset, tmp_path / "alias", dataset / "qrels" / ".."):
        with pytest.raises(ValidationError) as err:
            build(dataset, out)
        assert err.value.field == "out" and str(dataset) in str(err.value)
    assert not (dataset / "corpus.jsonl").is_symlink()
    assert {n: (dataset / n).read_bytes() for n in before} == before


def test_crosslingual_builder_errors_are_one_line_not_a_traceback(tmp_path: Path,
                                                                   capsys) -> None:
    import pytest

    from techmatch.eval.crosslingual_set import main

    with pytest.raises(SystemExit) as done:
        main(["--source", str(tmp_path / "nope"), "--out", str(tmp_path / "en")])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err == f"error: 文件 {tmp_path / 'nope'}：数据集文件夹 {tmp_path / 'nope'} 不存在\n"


def test_train_ranker_half_without_a_dataset_is_refused(tmp_path: Path) -> None:
    """--half splits a --dataset's queries; with --qrels or --from-feedback it was ignored and
    the model fitted on every query, which the evaluator then scored as held out."""
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("query-id\tcorpus-id\tscore\nN001\tA001\t1\n", encoding="utf-8")
    for source in (["--qrels", str(qrels)], ["--from-feedback"]):
        result = CliRunner().invoke(app, ["train-ranker", *source, "--half", "1",
                                          "--home", str(tmp_path / "home")])
        assert result.exit_code == 2, (source, result.output)
        assert "字段 half：" in result.stderr and "--dataset" in result.stderr


def test_train_ranker_comparison_names_the_untrained_weights_as_eval_does(
        tiny_dataset: Path, tmp_path: Path) -> None:
    """Its comparison called the hand-set weights 'default-ranker', while eval's
    ranker-default is the shipped model and ranker-untrained the hand-set weights."""
    dataset = _copy(tiny_dataset, tmp_path)
    with (dataset / "qrels" / "dev.tsv").open("a", encoding="utf-8") as fh:
        fh.write("q5\td11\t2\nq6\td03\t2\nq2\td01\t0\nq3\td02\t0\nq6\td01\t0\nq1\td12\t0\n")
    result = CliRunner().invoke(app, ["train-ranker", "--dataset", str(dataset), "--half", "1",
                                      "--json", "--home", str(tmp_path / "home")])
    assert result.exit_code == 0, result.output
    comparison = json.loads(result.stdout)["comparison"]
    assert list(comparison["means"]) == ["hybrid", "untrained-ranker", "trained-ranker"]
    assert list(comparison["significance_vs_hybrid"]) == ["untrained-ranker", "trained-ranker"]


def test_train_ranker_from_feedback_without_feedback_says_so(tmp_path: Path) -> None:
    """It said 'field qrels: no labelled pair has both its query and its candidate in the
    store', naming an option that was not given and suggesting missing records."""
    result = CliRunner().invoke(app, ["train-ranker", "--from-feedback",
                                      "--home", str(tmp_path / "home")])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("错误：字段 from-feedback：")
    assert "中还没有反馈" in result.stderr
    assert "techmatch feedback" in result.stderr


def test_loso_console_keeps_a_space_after_the_longest_configuration_name(capsys) -> None:
    """'ranker-untrainedndcg_exp@10 0.9972' ran the name into the first metric."""
    from techmatch.cli.eval import _print_loso

    values = {"ndcg_exp@10": 0.9972, "ndcg@10": 0.9962}
    test = {"delta": -0.0146, "p_randomization": 0.5055, "p_ttest": 0.17}
    _print_loso({"folds": [{"dataset": "kw", "trained_on": ["title"], "queries": 20,
                            "best_untrained": "hybrid-weighted",
                            "configs": {"lexical": values, "ranker-untrained": values},
                            "ranker_vs_best": {"ndcg_exp@10": test}}]})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "kw（训练集 title；20 条查询）"
    assert lines[2].startswith("  ranker-untrained ndcg_exp@10 0.9972")
    assert lines[1].index("ndcg_exp@10") == lines[2].index("ndcg_exp@10")
    assert lines[3] == ("  ranker 相对 hybrid-weighted：nDCG_exp@10 -0.0146，p = 0.5055 / 0.17"
                        "（随机化检验 / t 检验）")


def _columns(line: str) -> int:
    """Terminal columns of `line`: a wide (CJK) character takes two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def test_eval_console_table_columns_stay_apart_and_aligned() -> None:
    """'lexical-untranslated' (20 characters) pushed its row out of line and a 12-character
    metric name (ndcg_exp@100) ran into the one before it."""
    from techmatch.cli.eval import _table

    values = {"ndcg@10": 0.95, "ndcg_exp@100": 0.9}
    failures = {"1-ndcg@10": 0.05}
    text = _table({"dataset": "s", "split": "dev", "queries": 2,
                   "configs": {"lexical": values, "lexical-untranslated": values},
                   "failures": {"lexical": failures, "lexical-untranslated": failures}})
    title, header, *rows = text.splitlines()
    assert title == "s / dev：2 条查询"
    assert header.split() == ["配置", "ndcg@10", "ndcg_exp@100", "1-nDCG@10"]
    assert len({_columns(line) for line in (header, *rows)}) == 1  # as a terminal shows it
    assert all(line.index("0.9500") == rows[0].index("0.9500") for line in rows)


def test_loso_refuses_two_sets_with_one_folder_name(tiny_dataset: Path, tmp_path: Path) -> None:
    """Rows are pooled under '<folder name>/<query id>': two sets named alike merged their
    queries into one group and both folds were reported as the same dataset."""
    other = tmp_path / "elsewhere" / tiny_dataset.name
    shutil.copytree(tiny_dataset, other)
    home = tmp_path / "home"
    for extra in (["--dataset", str(other)], ["--dataset", str(tiny_dataset)],
                  ["--dataset", str(_copy(tiny_dataset, tmp_path)), "--train-set", str(other)]):
        result = CliRunner().invoke(app, ["loso", "--dataset", str(tiny_dataset), *extra,
                                          "--home", str(home)])
        assert result.exit_code == 2, (extra, result.output)
        assert "字段 dataset：" in result.stderr and "'tiny-zh'" in result.stderr, \
            result.stderr
        assert not (home / "eval").exists()


def test_qrels_without_a_positive_grade_are_refused_before_indexing(tiny_dataset: Path,
                                                                     tmp_path: Path) -> None:
    """eval, tune and train-ranker loaded and encoded the corpus first, then said only
    "split 'dev' has no query with a positive grade" (no file)."""
    dataset = _copy(tiny_dataset, tmp_path)
    qrels = dataset / "qrels" / "dev.tsv"
    qrels.write_text("query-id\tcorpus-id\tscore\nq1\td01\t0\n", encoding="utf-8")
    home = tmp_path / "home"
    for command in (["eval", "--threads", "1"], ["tune", "--threads", "1", "--dry-run"],
                    ["train-ranker"]):
        result = CliRunner().invoke(app, [*command, "--dataset", str(dataset),
                                          "--home", str(home)])
        assert result.exit_code == 2, (command, result.output)
        assert f"文件 {qrels}" in result.stderr, result.stderr
        assert "中没有既有正向评分、又有文本的查询" in result.stderr
        assert not (home / "eval").exists(), command


def test_a_rerun_reports_what_loading_the_corpus_changed(tiny_dataset: Path, tmp_path: Path,
                                                         eval_settings, raw_encoder,
                                                         vector_cache) -> None:
    """The first run noted the rejected line and the stand-in ids; a rerun on the same work
    folder reported no note at all, so its report hid that a line was left out."""
    from techmatch.eval.runner import EvalOptions, run_evaluation
    from techmatch.indexers.vector_cache import CachedEncoder

    dataset = _copy(tiny_dataset, tmp_path)
    (dataset / "experts.jsonl").unlink()
    with (dataset / "corpus.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"_id": "no text", "title": "", "text": ""}\n')
    options = EvalOptions(configs=("lexical",), metrics=("ndcg@10",), trials=10)
    first, again = (run_evaluation(dataset, eval_settings, options,
                                   encoder=CachedEncoder(raw_encoder, vector_cache))
                    for _ in range(2))
    loaded = [n for n in first["notes"] if not n.startswith("已建索引")]
    assert any("拒绝 1 行" in n for n in loaded) and any("替代编号" in n for n in loaded)
    assert again["notes"] == loaded


def test_a_first_qrels_row_with_a_fractional_grade_is_an_error_not_a_header(
        tmp_path: Path) -> None:
    """A qrels file without header whose first row graded 0.5 lost that row silently (it was
    taken for a header); only a first row whose score is not a number is a header."""
    import pytest

    from techmatch.errors import ValidationError
    from techmatch.eval.datasets import read_qrels

    path = tmp_path / "dev.tsv"
    path.write_text("q1\td01\t0.5\nq1\td02\t1\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        read_qrels(path)
    assert err.value.row == 1 and err.value.field == "score" and "'0.5'" in str(err.value)
    path.write_text("qid\tdoc\tgrade\nq1\td02\t1\n", encoding="utf-8")  # a header
    assert read_qrels(path) == {"q1": {"d02": 1}}


def test_threads_below_one_is_a_usage_error_not_a_traceback(tiny_dataset: Path,
                                                            tmp_path: Path) -> None:
    for command in ("eval", "tune", "loso"):
        result = CliRunner().invoke(app, [command, "--dataset", str(tiny_dataset),
                                          "--threads", "0", "--home", str(tmp_path / "h")])
        assert result.exit_code == 2, (command, result.output)
        assert "Invalid value for '--threads'" in result.output, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_dataset_path_that_is_a_file_is_not_called_missing(tiny_dataset: Path) -> None:
    import pytest

    from techmatch.errors import ValidationError
    from techmatch.eval.datasets import load_dataset

    with pytest.raises(ValidationError) as err:
        load_dataset(tiny_dataset / "corpus.jsonl")
    assert "不存在" not in str(err.value)
    assert "是文件，不是 BEIR 文件夹" in str(err.value)


def test_each_half_keeps_its_own_default_report(tiny_dataset: Path, tmp_path: Path) -> None:
    """eval --half 2 wrote report-dev/ like the run on all queries, replacing its report."""
    base = ["eval", "--dataset", str(tiny_dataset), "--json", "--home", str(tmp_path / "home"),
            "--threads", "1", "--trials", "10", "--retrievers", "lexical", "--metrics",
            "ndcg@10"]
    reports = {}
    for half in ([], ["--half", "1"], ["--half", "2"]):
        result = CliRunner().invoke(app, [*base, *half])
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout)
        reports[Path(out["report"]).parent.name] = out["queries"]
    assert reports.keys() == {"report-dev", "report-dev-half1", "report-dev-half2"}
    assert reports["report-dev"] == reports["report-dev-half1"] + reports["report-dev-half2"]


def test_a_half_run_says_which_half_in_json_and_markdown(tiny_dataset: Path,
                                                         tmp_path: Path) -> None:
    """report.json and report.md of eval --half 2 did not say that half 2 was scored."""
    result = CliRunner().invoke(app, [
        "eval", "--dataset", str(tiny_dataset), "--json", "--home", str(tmp_path / "home"),
        "--threads", "1", "--trials", "10", "--retrievers", "lexical", "--metrics", "ndcg@10",
        "--half", "2"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["half"] == 2
    report = Path(out["report"])
    assert json.loads((report.parent / "report.json").read_text(encoding="utf-8"))["half"] == 2
    assert report.read_text(encoding="utf-8").startswith("# 评估：tiny-zh / dev（第 2 半查询）\n")


@pytest.mark.slow  # a tune and a leave-one-set-out over two sets
def test_tune_and_loso_report_the_queries_they_skip(tiny_dataset: Path, tmp_path: Path) -> None:
    """eval lists queries with empty text under skipped_queries (issue 20 item 4); tune and
    loso skipped them without a word."""
    dataset = _copy(tiny_dataset, tmp_path)
    _set_query_text(dataset, "q1", "")
    home = ["--home", str(tmp_path / "home"), "--threads", "1"]
    result = CliRunner().invoke(app, ["tune", "--dataset", str(dataset), "--dry-run", "--json",
                                      *home])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["skipped_queries"] == {"empty_text": ["q1"]}
    from techmatch.config import Settings
    from techmatch.eval.loso import LosoOptions, leave_one_set_out
    from techmatch.matcher.train import TrainOptions

    titles = []
    for name in ("titles-a", "titles-b"):  # each record queried by its own title
        folder = tmp_path / name
        (folder / "qrels").mkdir(parents=True)
        shutil.copy(tiny_dataset / "corpus.jsonl", folder / "corpus.jsonl")
        docs = [json.loads(line) for line in
                (tiny_dataset / "corpus.jsonl").read_text("utf-8").splitlines()]
        (folder / "queries.jsonl").write_text("".join(json.dumps(
            {"_id": f"t{d['_id']}", "text": d["title"]}, ensure_ascii=False) + "\n"
            for d in docs), encoding="utf-8")
        (folder / "qrels" / "dev.tsv").write_text("".join(
            f"t{d['_id']}\t{d['_id']}\t2\n" for d in docs), encoding="utf-8")
        titles.append(folder)
    _set_query_text(titles[1], "td01", " ")
    settings = Settings(home=tmp_path / "loso-home", threads=1)
    options = LosoOptions(train=TrainOptions(negatives=3, holdout=0.0, folds=2), trials=10)
    folds = {f["dataset"]: f for f in leave_one_set_out(titles, settings, options)["folds"]}
    assert folds["titles-b"]["skipped_queries"] == {"empty_text": ["td01"]}
    assert "skipped_queries" not in folds["titles-a"]


def test_reports_show_only_the_parameters_a_configuration_uses(tmp_path: Path) -> None:
    """tune.md's 'Winner: … fusion=weighted, rrf_k=60, …' and report.md's 'lexical: mode=lexical,
    fusion=rrf, rrf_k=60, …' named parameters that the configuration ignores."""
    from techmatch.config import RetrievalParams
    from techmatch.eval.report import shown_params

    weighted = RetrievalParams(fusion="weighted", lexical_weight=0.6).model_dump()
    assert shown_params(weighted) == ("mode=hybrid, fusion=weighted, normalization=minmax, "
                                      "lexical_weight=0.6, depth=100")
    assert shown_params(RetrievalParams().model_dump()) == "mode=hybrid, fusion=rrf, rrf_k=60, " \
                                                           "depth=100"
    assert shown_params(RetrievalParams(mode="lexical").model_dump()) == "mode=lexical, " \
                                                                         "depth=100"


def test_crosslingual_rebuild_leaves_no_file_of_the_previous_source(tmp_path: Path) -> None:
    """Rebuilt into the same --out from a source without experts or unanswerable needs, the
    set kept the old experts.jsonl, qrels/dev-experts.tsv and unanswerable.txt, and eval
    scored the new queries against the old source's experts and unanswerable list."""
    from techmatch.eval.crosslingual_set import build

    def source(name: str, extras: bool) -> Path:
        src = tmp_path / name
        (src / "qrels").mkdir(parents=True)
        (src / "corpus.jsonl").write_text(json.dumps(
            {"_id": "p1", "title": "材料", "text": "化学材料"}, ensure_ascii=False) + "\n",
            encoding="utf-8")
        (src / "queries.jsonl").write_text("".join(json.dumps(
            {"_id": q, "text": "材料、化学"}, ensure_ascii=False) + "\n" for q in ("q1", "q2")),
            encoding="utf-8")
        (src / "qrels" / "dev.tsv").write_text("q1\tp1\t2\n", encoding="utf-8")
        if extras:
            (src / "unanswerable.txt").write_text("q2\n", encoding="utf-8")
            (src / "experts.jsonl").write_text(json.dumps(
                {"id": "x1", "name": "x1", "works": ["p1"]}) + "\n", encoding="utf-8")
            (src / "qrels" / "dev-experts.tsv").write_text("q1\tx1\t2\n", encoding="utf-8")
        return src

    out = tmp_path / "en"
    build(source("with", True), out)
    assert (out / "unanswerable.txt").exists() and (out / "experts.jsonl").exists()
    build(source("without", False), out)
    left = {p.relative_to(out).as_posix() for p in out.rglob("*")}
    assert left == {"corpus.jsonl", "queries.jsonl", "qrels", "qrels/dev.tsv"}


def test_train_ranker_prints_its_held_out_comparison_as_a_table(capsys) -> None:
    """The console showed 'means: {...}' and 'significance_vs_hybrid: {...}' as Python dicts
    with 16-digit floats."""
    from techmatch.cli.match import _print_comparison

    test = {"delta": 0.004524143928196667, "p_randomization": 1.0, "p_ttest": 0.3408931}
    zero = {"delta": 0.0, "p_randomization": 1.0, "p_ttest": 1.0}
    _print_comparison({"queries": 11, "means": {
        "hybrid": {"ndcg@10": 0.9955, "mrr@10": 1.0},
        "untrained-ranker": {"ndcg@10": 1.0, "mrr@10": 1.0}},
        "significance_vs_hybrid": {"untrained-ranker": {"ndcg@10": test, "mrr@10": zero}}})
    out = capsys.readouterr().out.splitlines()
    assert out == ["留出查询：11 条",
                   "                   ndcg@10   mrr@10",
                   "hybrid              0.9955   1.0000",
                   "untrained-ranker    1.0000   1.0000   对比 hybrid：ndcg@10 +0.0045 "
                   "(p 1 / 0.34)，mrr@10 +0.0000 (p 1 / 1)"]


def test_loso_refuses_an_unwritable_shipped_out_before_fitting(tiny_dataset: Path,
                                                               tmp_path: Path) -> None:
    """--shipped-out into a missing folder failed only when writing, after every fold."""
    target = tmp_path / "no-such-dir" / "model.json"
    home = tmp_path / "home"
    result = CliRunner().invoke(app, ["loso", "--dataset", str(tiny_dataset), "--shipped-out",
                                      str(target), "--home", str(home)])
    assert result.exit_code == 2, result.output
    assert "字段 shipped-out：文件夹" in result.stderr and str(target.parent) in result.stderr
    assert not (home / "eval").exists()


def test_an_out_that_is_a_file_is_refused_before_the_run(tiny_dataset: Path,
                                                         tmp_path: Path) -> None:
    """eval/tune --out FILE ran everything, then failed with 'File exists'."""
    target = tmp_path / "report.md"
    target.write_text("mine\n", encoding="utf-8")
    home = tmp_path / "home"
    for command in (["eval"], ["tune", "--dry-run"]):
        result = CliRunner().invoke(app, [*command, "--dataset", str(tiny_dataset), "--out",
                                          str(target), "--home", str(home), "--threads", "1"])
        assert result.exit_code == 2, (command, result.output)
        assert "字段 out：" in result.stderr and str(target) in result.stderr
        assert not (home / "eval").exists() and target.read_text(encoding="utf-8") == "mine\n"
