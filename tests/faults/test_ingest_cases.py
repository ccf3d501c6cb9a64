"""Issue 12, cases 2–6 through the `techmatch` command: bad files name their bad rows, good rows
load, exit codes are consistent, and nothing stored goes unreported.

Each test fails on the code before issue 12 (see the comment on each).
"""

from __future__ import annotations

import fcntl
import json
import socket
import threading
import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.store import Store

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


def _ingest(home: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["ingest", *args, "--home", str(home)])
    return result.exit_code, result.stdout, result.stderr


def _json(stdout: str) -> dict:  # type: ignore[type-arg]
    return json.loads(stdout[stdout.index("{"):])


def _stored(home: Path, kind: str) -> list[str]:
    store = Store(home / "store.sqlite")
    try:
        return [r.id for r in store.iter_records(kind)]
    finally:
        store.close()


def test_unterminated_quote_and_ragged_rows_are_named_good_rows_load(tmp_path: Path) -> None:
    # Old: the quote swallowed the 13 following rows ("title is longer than 500 characters").
    good = [f"N{i:02d},涂层工艺问题{i},描述{i}" for i in range(1, 11)]
    after = [f"M{i:02d},后续需求{i},描述{i}" for i in range(1, 14)]
    bad_quote = 'N11,"未闭合的引号标题,描述'
    ragged = "M99,只有标题"  # one column short: it used to load with an empty description
    path = tmp_path / "needs.csv"
    path.write_text("\n".join(["id,title,description", *good, bad_quote, *after, ragged]) + "\n",
                    encoding="utf-8")
    code, out, _ = _ingest(tmp_path / "home", str(path), "--kind", "need", "--no-index", "--json")
    report = _json(out)
    assert code == 0
    assert report["loaded"]["inserted"] == 23 and report["rejected"] == 2
    errors = {e["row"]: e["message"] for e in report["errors"]}
    assert set(errors) == {12, 26}
    assert "第 12 行的引号没有闭合" in errors[12]
    assert 'N11,"未闭合的引号标题,描述' in errors[12]  # the raw line
    assert "该行有 2 个字段，而表头有 3 列" in errors[26]
    assert sorted(_stored(tmp_path / "home", "need")) == sorted(
        [g.split(",")[0] for g in good] + [a.split(",")[0] for a in after])


def test_one_bad_byte_rejects_one_row_of_a_gb18030_file(tmp_path: Path) -> None:
    # Old: the whole file was refused, located by byte offset only.
    lines = ["编号,标题", "A1,锂电池正极材料", "A2,高镍三元材料", "A3,软件开发平台"]
    data = [line.encode("gb18030") for line in lines]
    data[2] = data[2][:4] + b"\xff" + data[2][4:]
    path = tmp_path / "a.csv"
    path.write_bytes(b"\r\n".join(data) + b"\r\n")
    code, out, _ = _ingest(tmp_path / "home", str(path), "--kind", "achievement", "--no-index",
                           "--json")
    report = _json(out)
    assert code == 0 and report["files"][0]["encoding"] == "gb18030"
    assert [(e["row"], e["message"][:31]) for e in report["errors"]] == [
        (3, "该行无法解码：第 4 个字节起不是 GB18030（文件偏移 ")]
    assert sorted(_stored(tmp_path / "home", "achievement")) == ["A1", "A3"]


def _broken_content_types(path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["id", "title"])
    book.active.append(["N1", "标题"])
    book.save(path)
    with zipfile.ZipFile(path) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    parts["[Content_Types].xml"] = b"<Types xmlns='broken'><Default Extension="
    with zipfile.ZipFile(path, "w") as out:
        for name, blob in parts.items():
            out.writestr(name, blob)


def test_malformed_workbook_is_exit_2_without_traceback(tmp_path: Path) -> None:
    # Old: a traceback and exit 1.
    path = tmp_path / "needs.xlsx"
    _broken_content_types(path)
    code, out, err = _ingest(tmp_path / "home", str(path), "--kind", "need", "--no-index")
    assert code == 2
    assert "不是可读取的 XLSX 工作簿" in err and "needs.xlsx" in err
    assert "Traceback" not in out + err


@pytest.mark.parametrize(("name", "content"), [
    ("e.jsonl", b""), ("e.jsonl", b"\n\n"), ("e.csv", b""), ("e.csv", b"id,title\n"),
    ("e.json", b"[]"), ("e.xlsx", None),
])
def test_an_empty_file_is_exit_2_in_every_format(tmp_path: Path, name: str,
                                                 content: bytes | None) -> None:
    # Old: an empty .jsonl exited 0 while an empty .csv exited 2.
    path = tmp_path / name
    if content is None:
        openpyxl.Workbook().save(path)
    else:
        path.write_bytes(content)
    code, _, err = _ingest(tmp_path / "home", str(path), "--kind", "need", "--no-index")
    assert code == 2, err
    assert name in err and ("empty" in err)


def test_every_row_rejected_is_exit_2_with_the_report(tmp_path: Path) -> None:
    # Old: exit 0 although nothing was stored.
    path = tmp_path / "needs.jsonl"
    path.write_text('{"id": "N1"}\n{"id": "bad id!", "title": "x"}\n', encoding="utf-8")
    code, out, err = _ingest(tmp_path / "home", str(path), "--kind", "need")
    assert code == 2
    assert "新增 0 条" in out and "拒绝 2 行" in out
    assert "所有行都被拒绝（2 行中 2 行）" in err
    assert _stored(tmp_path / "home", "need") == []


def test_wrong_kind_is_refused_and_force_kind_keeps_confidential_rows_out(tmp_path: Path
                                                                          ) -> None:
    # Old: needs loaded as achievements with exit 0; the confidential flag was dropped.
    needs = SAMPLES / "needs.jsonl"
    home = tmp_path / "home"
    code, _, err = _ingest(home, str(needs), "--kind", "achievement", "--no-index")
    assert code == 2
    assert "文件的列属于需求，而不是成果" in err and "confidential" in err
    assert "--force-kind" in err
    assert _stored(home, "achievement") == []
    code, out, _ = _ingest(home, str(needs), "--kind", "achievement", "--no-index",
                           "--force-kind", "--json")
    report = _json(out)
    secret = [json.loads(line)["id"] for line in needs.read_text("utf-8").splitlines()
              if json.loads(line).get("confidential")]
    assert code == 0 and len(secret) == 4
    rejected = {e["row"] for e in report["errors"] if e["field"] == "confidential"}
    assert len(rejected) == 4
    stored = _stored(home, "achievement")
    assert not set(secret) & set(stored) and len(stored) == 48 - 4


def test_rejects_file_and_messages_are_clipped(tmp_path: Path) -> None:
    # Old: a huge rejected row was copied whole into the rejects file.
    path = tmp_path / "big.jsonl"
    big = "长" * 1_000_000
    path.write_text(json.dumps({"id": "N1", "title": big}, ensure_ascii=False) + "\n"
                    + json.dumps({"id": "N2", "title": "正常"}, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    code, out, _ = _ingest(tmp_path / "home", str(path), "--kind", "need", "--no-index",
                           "--json")
    assert code == 0 and len(out) < 10_000
    rejects = (tmp_path / "home" / "rejects" / "big.jsonl.rejects.jsonl").read_text("utf-8")
    line = json.loads(rejects)
    assert len(rejects) < 10_000
    assert line["row"] == 1 and line["raw"]["length"] > 1_000_000
    assert line["raw"]["truncated"].startswith('{"id": "N1", "title": "长长')


def test_strict_numbers_in_files(tmp_path: Path) -> None:
    # Old: `"capacity": true` was stored as 1.
    path = tmp_path / "experts.jsonl"
    path.write_text('{"id": "E1", "name": "李", "bio": "材料", "capacity": true}\n'
                    '{"id": "E2", "name": "王", "bio": "材料", "capacity": 2}\n',
                    encoding="utf-8")
    code, out, _ = _ingest(tmp_path / "home", str(path), "--kind", "expert", "--no-index",
                           "--json")
    report = _json(out)
    assert code == 0 and [(e["row"], e["field"]) for e in report["errors"]] == [(1, "capacity")]
    assert _stored(tmp_path / "home", "expert") == ["E2"]


@pytest.mark.slow  # loads the encoder twice and indexes three records
def test_ingest_reports_what_it_stored_while_another_process_builds(tmp_path: Path) -> None:
    # Old: exit 6 with one error line, no load summary, rows left unindexed.
    home = tmp_path / "home"
    lock_path = home / "index" / "need" / ".build.lock"
    lock_path.parent.mkdir(parents=True)
    path = tmp_path / "needs.jsonl"
    path.write_text("".join(json.dumps({"id": f"N{i}", "title": f"锁等待需求{i}"},
                                       ensure_ascii=False) + "\n" for i in range(3)),
                    encoding="utf-8")
    with lock_path.open("a+") as held:  # another builder holds the kind's lock (flock)
        fcntl.flock(held, fcntl.LOCK_EX)
        code, out, err = _ingest(home, str(path), "--kind", "need", "--lock-timeout", "0.5")
        assert code == 0
        assert "需求（need）：新增 3 条" in out
        assert "索引未更新" in err and "已等待 0.5 秒" in err
        assert sorted(_stored(home, "need")) == ["N0", "N1", "N2"]
        timer = threading.Timer(1.0, fcntl.flock, args=(held, fcntl.LOCK_UN))
        timer.start()
        path.write_text(json.dumps({"id": "N3", "title": "锁释放后的需求"}, ensure_ascii=False)
                        + "\n", encoding="utf-8")
        code, out, _ = _ingest(home, str(path), "--kind", "need", "--lock-timeout", "120",
                               "--json")
        timer.join()
    report = _json(out)
    assert code == 0 and report["index"]["status"] == "indexed"
    assert report["index"]["upserted"] == 4  # the deferred rows and the new one


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_address_in_use_has_its_own_exit_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               command: str) -> None:
    # Old: exit 3, which the README defines as "not found" (demo: after loading everything).
    monkeypatch.setenv("TECHMATCH_API_KEYS", "admin:" + "0" * 64)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, [command, "--port", str(port), "--home",
                                          str(tmp_path / "home")])
    assert result.exit_code == 10
    assert f"127.0.0.1:{port} 已被其他进程占用" in result.stderr
