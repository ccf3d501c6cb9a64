"""Plans end to end on the samples: team assignment, roadshow, and the `assign` / `roadshow` CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from fakes import make_engine
from samples_home import samples_engine
from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.cli.demo import SAMPLES
from techmatch.errors import NotFoundError, ValidationError
from techmatch.matcher import plans
from techmatch.matcher.assignment import Constraints, Status
from techmatch.matcher.engine import Engine
from techmatch.matcher.plans import (
    load_teams,
    open_needs,
    pick_team,
    plan_city_roadshow,
    plan_team,
)
from techmatch.matcher.service import MatchService
from techmatch.models.plan_labels import CONSTRAINT_LABELS
from techmatch.models.records import Achievement, Expert, Need, Record, ServiceTeam
from techmatch.models.results import Hit, Ranking

TEAMS = SAMPLES / "teams.jsonl"
# (need, expert) pairs the samples make conflicts of interest: same organization or exclusion.
CONFLICTS = {("N001", "E003"), ("N005", "E003"), ("N015", "E031"), ("N020", "E041"),
             ("N010", "E018"), ("N038", "E030")}
EV_NEEDS = ["N010", "N015", "N020", "N038"]
EV_EXPERTS = ["E018", "E019", "E028", "E029", "E030", "E031", "E041"]


slow = pytest.mark.slow  # the samples home encodes 214 texts: ~60 s CPU on a cold cache


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A home built from data/samples once per module (vectors cached, see samples_home)."""
    eng = samples_engine(tmp_path_factory.mktemp("plans") / "home")
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def service(engine: Engine) -> MatchService:
    return MatchService(engine)


def _cli(engine: Engine, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "--home", str(engine.settings.home)])
    return result.exit_code, result.stdout, result.stderr


# ------------------------------------------------------------------ service teams


@slow
def test_team_assignment_respects_capacity_limits_and_conflicts(
        engine: Engine, service: MatchService) -> None:
    team = pick_team(load_teams(TEAMS), "T01")
    plan = plan_team(engine, service, team=team)
    result = plan.assignment
    assert result.status == Status.optimal
    assert {p.need_id for p in result.pairs} == {"N001", "N005"}
    assert not {(p.need_id, p.expert_id) for p in result.pairs} & CONFLICTS
    for need in result.needs:
        assert team.min_experts_per_need <= len(need.experts) <= team.max_experts_per_need
        assert all(a.expert_id != "E003" for a in need.alternates)
    records = engine.store.get_many(team.experts)
    for load in result.experts:
        record = records[load.expert_id]
        assert isinstance(record, Expert)
        assert load.load == len(load.needs) <= load.capacity == record.capacity
    answer = plan.why_not([("N001", "E003")])[0]
    assert (answer.reason, answer.detail) == ("conflict", "same_organization")


@slow
def test_exclusions_and_same_organization_never_paired_under_tight_capacity(
        engine: Engine, service: MatchService) -> None:
    # min_score 0: this checks conflicts under tight capacity, not the minimum confidence
    constraints = Constraints(min_experts_per_need=1, max_experts_per_need=2,
                              default_capacity=1, min_score=0.0)
    plan = plan_team(engine, service, expert_ids=EV_EXPERTS, need_ids=EV_NEEDS,
                     constraints=constraints)
    pairs = {(p.need_id, p.expert_id) for p in plan.assignment.pairs}
    assert plan.assignment.solved
    assert {n for n, _ in pairs} == set(EV_NEEDS)  # every need served (min 1)
    assert not pairs & CONFLICTS
    assert all(x.load <= 1 for x in plan.assignment.experts)
    answers = plan.why_not([("N010", "E018"), ("N038", "E030"), ("N015", "E031")])
    assert [(a.reason, a.detail) for a in answers] == [
        ("conflict", "excluded"), ("conflict", "excluded"), ("conflict", "same_organization")]


@slow
def test_team_without_needs_serves_open_needs_of_its_city_and_industry(
        engine: Engine, service: MatchService) -> None:
    team = pick_team(load_teams(TEAMS), "T02")  # 深圳 · 新能源汽车, empty needs
    expected = [n.id for n in open_needs(engine, city="深圳", industry="新能源汽车")]
    result = plan_team(engine, service, team=team).assignment
    assert expected and [n.need_id for n in result.needs] == expected
    assert ("N015", "E031") not in {(p.need_id, p.expert_id) for p in result.pairs}


@slow
def test_infeasible_assignment_returns_diagnostics(engine: Engine,
                                                   service: MatchService) -> None:
    result = plan_team(engine, service, expert_ids=["E001", "E002"],
                       need_ids=["N001", "N005"],
                       constraints=Constraints(min_experts_per_need=2,
                                               default_capacity=1)).assignment
    # two experts of capacity 1 cover one need of two: that need is planned (status
    # partial), the other listed as uncovered; the diagnostics stay
    assert result.status == Status.partial and len(result.pairs) == 2
    [left] = result.uncovered
    assert left.need_id in ("N001", "N005") and left.reason == "capacity_full"
    assert result.diagnostics[0].constraint == "total_capacity"
    assert (result.diagnostics[0].required, result.diagnostics[0].available) == (4, 2)


@slow
def test_team_file_and_ids_are_checked(engine: Engine, service: MatchService,
                                       tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="pick one with --team-id"):
        pick_team(load_teams(TEAMS), None)
    with pytest.raises(NotFoundError, match="T09"):
        pick_team(load_teams(TEAMS), "T09")
    bad = tmp_path / "teams.jsonl"
    bad.write_text('{"id": "T1", "name": "x"}\n{"id": "T2"}\n', encoding="utf-8")
    with pytest.raises(ValidationError, match="第 2 行"):
        load_teams(bad)
    bom = tmp_path / "excel.jsonl"  # saved by Excel / Notepad: UTF-8 with a BOM
    bom.write_text('{"id": "T1", "name": "x"}\n', encoding="utf-8-sig")
    assert [t.id for t in load_teams(bom)] == ["T1"]
    gbk = tmp_path / "gbk.jsonl"
    gbk.write_bytes('{"id": "T1", "name": "服务队"}\n'.encode("gbk"))
    with pytest.raises(ValidationError, match="gbk.jsonl"):
        load_teams(gbk)
    with pytest.raises(NotFoundError, match="没有编号为 N999 的需求"):
        plan_team(engine, service, expert_ids=["E001"], need_ids=["N001", "N999"])


# ------------------------------------------------------------------ roadshow


@slow
def test_roadshow_lists_achievements_invitees_and_presenters(
        engine: Engine, service: MatchService) -> None:
    plan = plan_city_roadshow(engine, service, city="苏州", industry="新材料", slots=3,
                              invites_per_achievement=3)
    local = {n.id: n for n in open_needs(engine, city="苏州", industry="新材料")}
    assert plan.items and plan.total_covered_demand > 0
    chosen = {item.achievement_id for item in plan.items}
    assert not {"A001", "A042"} <= chosen  # the sample near-duplicate pair
    # the first slot goes to a strong answer (grade 2 in qrels.tsv) of a need it covers
    strong = {tuple(line.split("\t")[:2]) for line in
              (SAMPLES / "qrels.tsv").read_text(encoding="utf-8").splitlines()
              if line.endswith("\t2")}
    first = plan.items[0]
    assert any((n, first.achievement_id) in strong for n in first.covered_needs), first
    for item in plan.items:
        assert item.invitees and set(item.covered_needs) <= set(local)
        for invitee in item.invitees:
            assert invitee.need_id in local and invitee.reason.startswith("与需求“")
            assert invitee.score >= engine.settings.confidence_threshold
        assert item.expert is not None and item.expert.reason
        expert = engine.store.get(item.expert.expert_id, "expert")
        assert isinstance(expert, Expert) and expert.available
        enterprises = {v.enterprise for v in item.invitees}
        assert expert.organization not in enterprises
        assert not enterprises & set(expert.exclusions)


@slow
def test_roadshow_invites_only_local_needs_in_falling_gain_order(
        engine: Engine, service: MatchService) -> None:
    plan = plan_city_roadshow(engine, service, city="深圳", industry=None, slots=5,
                              invites_per_achievement=2)
    local = {n.id for n in open_needs(engine, city="深圳")}
    invited = {v.need_id for item in plan.items for v in item.invitees}
    assert invited and invited <= local
    assert all(len(item.invitees) <= 2 for item in plan.items)
    ranks = [item.rank for item in plan.items]
    assert ranks == list(range(1, len(ranks) + 1))
    gains = [item.covered_demand for item in plan.items]
    assert gains == sorted(gains, reverse=True)  # greedy marginal gains never increase


@slow
def test_roadshow_without_local_needs_names_the_problem(engine: Engine,
                                                        service: MatchService) -> None:
    with pytest.raises(ValidationError, match="苏州/海洋工程.* 没有待服务的需求"):
        plan_city_roadshow(engine, service, city="苏州", industry="海洋工程", slots=2)


# ------------------------------------------------------------------ CLI


@slow
def test_cli_assign_infeasible_prints_diagnostic_and_exits_7(engine: Engine) -> None:
    code, out, err = _cli(engine, "assign", "--team", str(TEAMS), "--team-id", "T01",
                          "--min-per-need", "2", "--capacity", "0")
    assert code == 7
    assert "total demand 4 > total capacity 0" in err
    assert "专家总容量不足：需要 4，可用 0，缺口 4" in err
    assert "目标 总匹配分最大 · 求解器 milp" in out and "milp/total" not in out
    assert "Traceback" not in out + err
    code, out, _ = _cli(engine, "assign", "--experts", "E001,E002", "--needs", "N001,N005",
                        "--min-per-need", "3", "--capacity", "1", "--json")
    assert code == 7  # no need can get 3 experts of 2: nothing to plan
    body = json.loads(out)
    assert body["status"] == "infeasible" and body["diagnostics"][0]["shortfall"] == 4
    # codes stay, Chinese labels and text beside them
    assert body["status_label"] == "约束无法同时满足"
    diag = body["diagnostics"][0]
    assert diag["constraint_label"] == CONSTRAINT_LABELS[diag["constraint"]]
    assert diag["text"].startswith(diag["constraint_label"]) and "缺口 4" in diag["text"]


@slow
def test_cli_assign_partial_plan_lists_the_uncovered_need(engine: Engine,
                                                          tmp_path: Path) -> None:
    """Two experts of capacity 1, two needs wanting 2 each: the CLI used to exit 7 with no
    plan; it now prints (text, JSON, XLSX) the plan of the need it can cover and the other
    need as uncovered, with the reason, and exits 0."""
    args = ["assign", "--experts", "E001,E002", "--needs", "N001,N005", "--min-per-need", "2",
            "--capacity", "1", "--min-score", "0"]
    xlsx = tmp_path / "partial.xlsx"
    code, out, err = _cli(engine, *args, "--json", "--xlsx", str(xlsx))
    assert code == 0, err
    body = json.loads(out)
    assert body["status"] == "partial" and len(body["pairs"]) == 2
    [left] = body["uncovered"]
    covered = {p["need_id"] for p in body["pairs"]}
    assert len(covered) == 1 and left["need_id"] in {"N001", "N005"} - covered
    assert (left["reason"], left["reason_label"]) == ("capacity_full",
                                                      "可分配的专家容量已被其他需求占满")
    assert body["diagnostics"][0]["constraint"] == "total_capacity"
    book = openpyxl.load_workbook(xlsx)
    rows = list(book["无法覆盖的需求"].iter_rows(values_only=True))
    assert rows[0] == ("需求编号", "需求标题", "原因", "说明", "原因代码")
    assert rows[1][0] == left["need_id"] and rows[1][4] == "capacity_full"
    assert rows[1][3] == left["text"]
    assert len(list(book["分配结果"].iter_rows())) == 3
    code, out, err = _cli(engine, *args)
    assert code == 0, err
    assert "方案状态 部分方案" in out and "无法覆盖的需求 1 条（其余需求照常派单）" in out
    assert f"{left['need_id']} " in out and "可分配的专家容量已被其他需求占满" in out
    assert "诊断：专家总容量不足" in out


@slow
def test_cli_assign_json_why_not_and_xlsx(engine: Engine, tmp_path: Path) -> None:
    xlsx = tmp_path / "assign.xlsx"
    code, out, err = _cli(engine, "assign", "--team", str(TEAMS), "--team-id", "T03",
                          "--why-not", "N043:E999", "--json")
    assert code == 2 and "E999" in err  # unknown expert in a why-not question
    code, out, _ = _cli(engine, "assign", "--experts", ",".join(EV_EXPERTS), "--needs",
                        ",".join(EV_NEEDS), "--capacity", "1", "--quota-city", "深圳=1",
                        "--min-score", "0", "--why-not", "N010:E018", "--json", "--xlsx",
                        str(xlsx))
    assert code == 0
    body = json.loads(out)
    assert body["status"] == "optimal"
    assert not {(p["need_id"], p["expert_id"]) for p in body["pairs"]} & CONFLICTS
    assert body["why_not"][0]["reason"] == "conflict"
    assert body["status_label"] == "最优方案"
    assert body["why_not"][0]["reason_label"] == "利益冲突"
    assert body["why_not"][0]["text"].startswith("利益冲突")
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames[:3] == ["分配结果", "需求", "专家负荷"]
    sheet = book["分配结果"]
    assert [c.value for c in sheet[1]][:5] == ["需求编号", "需求标题", "企业", "城市", "专家编号"]
    assert sheet.max_row == len(body["pairs"]) + 1
    # staff read the sheets in Chinese: labels, not the JSON's codes or the solver's English
    [why] = list(book["未分配原因"].values)[1:]
    assert why[:3] == ("N010", "E018", "利益冲突") and why[4] == body["why_not"][0]["text"]
    summary = dict(list(book["概要"].values)[1:])
    assert summary["状态"] == "最优方案" and summary["目标"] == "总匹配分最大"
    assert "说明" not in summary  # the solver's English message
    loads = {row[0]: row for row in book["专家负荷"].values}
    assert loads["专家编号"][5] == "不能服务的需求"
    assert "专家声明回避该企业 1 条" in loads["E018"][5]  # N010's enterprise
    assert next(x for x in body["experts"] if x["expert_id"] == "E018")["blocked"][
        "excluded"] == 1


@slow
def test_cli_roadshow_json_and_text(engine: Engine, tmp_path: Path) -> None:
    code, out, _ = _cli(engine, "roadshow", "--city", "青岛", "--industry", "海洋工程",
                        "--slots", "2", "--invites", "3", "--date", "2026-03-15", "--json")
    assert code == 0
    plan = json.loads(out)
    assert plan["date"] == "2026-03-15" and plan["city"] == "青岛"
    needs = {n.id for n in open_needs(engine, city="青岛", industry="海洋工程")}
    assert plan["items"] and all(v["need_id"] in needs
                                 for item in plan["items"] for v in item["invitees"])
    xlsx = tmp_path / "roadshow.xlsx"
    code, out, _ = _cli(engine, "roadshow", "--city", "青岛", "--industry", "海洋工程",
                        "--slots", "2", "--xlsx", str(xlsx))
    assert code == 0 and plan["items"][0]["achievement_id"] in out and "   邀请 " in out
    assert "主讲专家" in out and "presenter" not in out
    rows = list(openpyxl.load_workbook(xlsx)["路演成果"].values)
    assert rows[0][:3] == ("序号", "成果编号", "成果名称")
    assert [r[1] for r in rows[1:]] == [i["achievement_id"] for i in plan["items"]]
    roles = {"owner": "成果完成人", "commentator": "点评专家"}
    assert [r[7] for r in rows[1:]] == [roles[i["expert"]["role"]] if i["expert"] else None
                                        for i in plan["items"]]
    summary = list(openpyxl.load_workbook(xlsx)["概要"].values)
    assert ("路演名额", 2) in summary and not any(r[0] == "场次" for r in summary)
    assert ("已排成果数", len(plan["items"])) in summary
    assert ("日期", "待定") in summary  # no --date: the cell was empty (the console's says 待定)
    code, _, err = _cli(engine, "roadshow", "--city", "拉萨", "--slots", "2")
    assert code == 2 and "拉萨 没有待服务的需求" in err


@slow
def test_samples_need_conflicts_exist(engine: Engine) -> None:
    """Guard: the conflict pairs above really are conflicts in the sample records."""
    records = engine.store.get_many({x for pair in CONFLICTS for x in pair})
    for need_id, expert_id in CONFLICTS:
        need, expert = records[need_id], records[expert_id]
        assert isinstance(need, Need) and isinstance(expert, Expert)
        assert need.enterprise in (expert.organization, *expert.exclusions)


# ------------------------------------------------------------------ fast: fake scores


class KeywordScorer:
    """Scores 0.9 for a shared keyword, else 0.1; records the candidates it was asked about."""

    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    def score_pairs(self, needs: Sequence[Need], candidates: Sequence[Record], *,
                    target: str) -> np.ndarray:
        self.asked.append([c.id for c in candidates])
        return np.array([[0.9 if set(n.keywords) & set(c.keywords) else 0.1
                          for c in candidates] for n in needs]).reshape(len(needs),
                                                                        len(candidates))

    def match_many(self, needs: Sequence[Need], *, target: str, k: int = 10,
                   filters: object = None, explain: bool = True) -> list[Ranking]:
        return [Ranking(kind=target, mode="fake", hits=[Hit(id="a2", kind=target, score=1.0,
                                                            rank=1)]) for _ in needs]


@pytest.fixture()
def small(tmp_path: Path) -> Engine:
    records: list[Record] = [
        Need(id="n1", title="电池回收", keywords=["电池"], city="蘇州", province="江苏",
             industry="新能源", enterprise="甲公司"),
        Need(id="n2", title="电池检测", keywords=["电池"], city="苏州", province="江苏",
             industry="新能源", enterprise="乙公司"),
        Need(id="n3", title="电池", keywords=["电池"], city="苏州", industry="新能源",
             status="closed"),
        Need(id="n4", title="膜", keywords=["膜"], city="杭州", industry="新能源"),
        Achievement(id="a1", title="电池回收工艺", keywords=["电池"], province="广东"),
        Achievement(id="a2", title="电池检测方法", keywords=["电池"], province="江苏"),
        Expert(id="e1", name="甲", organization="甲公司", keywords=["电池"], capacity=2),
        Expert(id="e2", name="乙", organization="大学", keywords=["电池"], capacity=1),
    ]
    return make_engine(tmp_path / "home", records)


def test_team_needs_are_open_local_and_normalised(small: Engine) -> None:
    team = ServiceTeam(id="T", name="苏州新能源", city="苏州", industry="新能源",
                       experts=["e1", "e2"], max_experts_per_need=1)
    assert [n.id for n in plans.team_needs(small, team, [])] == ["n1", "n2"]  # 蘇州 = 苏州
    result = plan_team(small, KeywordScorer(), team=team).assignment
    assert {(p.need_id, p.expert_id) for p in result.pairs} == {("n2", "e1"), ("n1", "e2")}
    with pytest.raises(ValidationError, match="没有待服务的需求（拉萨"):
        plan_team(small, KeywordScorer(), team=team.model_copy(update={"city": "拉萨"}))


def test_team_constraints_come_from_the_team_unless_given() -> None:
    team = ServiceTeam(id="T", name="x", min_experts_per_need=0, max_experts_per_need=3)
    assert plans.team_constraints(team, None).max_experts_per_need == 3
    given = Constraints(max_experts_per_need=1)
    assert plans.team_constraints(team, given) is given
    assert plans.per_need_limits(team) == (0, 3)
    assert plans.per_need_limits(None) == (1, 2) and plans.per_need_limits(None, 3) == (3, 3)
    assert plans.per_need_limits(team, None, 5) == (0, 5)


def test_roadshow_min_score_and_prefer_province(small: Engine) -> None:
    plan = plan_city_roadshow(small, KeywordScorer(), city="苏州", industry="新能源", slots=2,
                              invites_per_achievement=5)
    assert [i.achievement_id for i in plan.items] == ["a1"]  # ties go to the lower id
    assert {v.need_id for v in plan.items[0].invitees} == {"n1", "n2"}  # not the closed n3
    assert plan.items[0].expert is not None
    preferred = plan_city_roadshow(small, KeywordScorer(), city="苏州", industry="新能源",
                                   slots=1, invites_per_achievement=5, prefer_province=True)
    assert [i.achievement_id for i in preferred.items] == ["a2"]  # the 江苏 achievement
    none = plan_city_roadshow(small, KeywordScorer(), city="苏州", industry="新能源", slots=2,
                              invites_per_achievement=5, min_score=0.95)
    assert none.items == [] and none.total_covered_demand == 0


def test_prefer_province_never_lifts_a_weak_pair_nor_the_invited_score(small: Engine) -> None:
    """同省成果优先 added 0.1 before the floor: with 最低匹配分 0.95 a 江苏 achievement matching
    at 0.9 was chosen and its enterprises invited (匹配分 1.00, a score no match page shows).
    The bonus now only ranks pairs over the floor; invitations cite the match score."""
    weak = plan_city_roadshow(small, KeywordScorer(), city="苏州", industry="新能源", slots=2,
                              invites_per_achievement=5, min_score=0.95, prefer_province=True)
    assert weak.items == [] and weak.total_covered_demand == 0
    plan = plan_city_roadshow(small, KeywordScorer(), city="苏州", industry="新能源", slots=1,
                              invites_per_achievement=5, prefer_province=True)
    [item] = plan.items
    assert item.achievement_id == "a2" and item.covered_demand == pytest.approx(2.0)
    assert [(v.need_id, v.score) for v in item.invitees] == [("n1", 0.9), ("n2", 0.9)]
    assert all("匹配分 0.90" in v.reason for v in item.invitees)


def test_large_library_takes_roadshow_candidates_from_retrieval(
        small: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plans, "MAX_ALL_ACHIEVEMENTS", 1)
    scorer = KeywordScorer()
    plan = plan_city_roadshow(small, scorer, city="苏州", industry=None, slots=2)
    assert scorer.asked == [["a2"]] and [i.achievement_id for i in plan.items] == ["a2"]


def test_cli_assign_min_above_max_says_so(tmp_path: Path) -> None:
    """The error read 'For further information visit https://errors.pydantic.dev/…' (the last
    line of pydantic's text) instead of what is wrong."""
    result = CliRunner().invoke(app, ["assign", "--experts", "E001", "--needs", "N001",
                                      "--min-per-need", "5", "--max-per-need", "1",
                                      "--home", str(tmp_path)])
    assert result.exit_code == 2
    assert "专家数下限（min_experts_per_need = 5）大于上限（max_experts_per_need = 1）" \
        in result.stderr, result.stderr
    assert "pydantic" not in result.stderr


@slow
def test_demo_prints_sample_matches_in_chinese(engine: Engine,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """`make run` / `techmatch demo --no-serve` printed 'achievement 1. A001 conf 0.99'."""
    from techmatch.cli.demo import loaded_line, print_sample_matches

    counts = {"loaded": {"inserted": 48, "updated": 1, "unchanged": 2}, "rejected": 3}
    assert loaded_line("need", counts) == "已载入需求：新增 48 条，更新 1 条，未变 2 条，退回 3 条"

    print_sample_matches(engine, limit=2, k=2)
    out = capsys.readouterr().out
    assert out.count("■ ") == 2 and "成果 1. " in out and "置信度 " in out
    assert "专家" in out and "conf " not in out and "achievement " not in out


def test_cli_min_score_outside_0_1_is_refused(tmp_path: Path) -> None:
    """--min-score 35 (a percent) was taken: every pair fell below it, so `assign` answered
    infeasible (最低要求 35.00) and `roadshow` an empty plan instead of naming the option."""
    for args in (["assign", "--experts", "E001", "--needs", "N001", "--min-score", "35"],
                 ["roadshow", "--city", "苏州", "--slots", "1", "--min-score", "-0.1"]):
        result = CliRunner().invoke(app, [*args, "--home", str(tmp_path)])
        assert result.exit_code == 2, result.output
        assert "'--min-score'" in result.stderr and "than or equal to" in result.stderr, \
            result.stderr


def test_roadshow_on_a_date_never_books_an_expert_busy_elsewhere(small: Engine) -> None:
    """A roadshow dated 2026-12-15 made e2 its commentator although e2 presents at another
    event that day; the training planner already kept such experts out, the roadshow did not."""
    import datetime as dt

    from techmatch.matcher.programme import registry
    from techmatch.models.programme import Event, Participant

    day = dt.date(2026, 12, 15)
    registry.save(small.store, "event", [Event(
        id="EV1", type="training", title="电池培训", date=day, city="杭州",
        participants=[Participant(role="trainer", kind="expert", ref="e2")])])
    busy = plan_city_roadshow(small, KeywordScorer(), city="苏州", industry="新能源", slots=1,
                              invites_per_achievement=5, date=day)
    assert busy.items and busy.items[0].expert is None  # e1 works for an invitee, e2 is booked
    assert "当天已在其他活动主讲或授课的专家不安排路演：e2（EV1）" in busy.notes
    free = plan_city_roadshow(small, KeywordScorer(), city="苏州", industry="新能源", slots=1,
                              invites_per_achievement=5, date=day + dt.timedelta(days=1))
    assert free.items[0].expert is not None and free.items[0].expert.expert_id == "e2"


def test_a_closed_need_named_by_id_is_refused_not_dispatched(small: Engine) -> None:
    """服务团派单 with needs N043 N044 N045 dispatched E064 to N045, closed since (a team
    file may still list it): the expert's slot went to a need nobody serves. Now refused,
    named, in Chinese on the console."""
    from techmatch.api.console.messages import error_message
    from techmatch.api.console.views.intake import field_label

    with pytest.raises(ValidationError) as caught:
        plan_team(small, KeywordScorer(), need_ids=["n1", "n3"], expert_ids=["e2"])
    assert caught.value.message == "n3 已关闭，不能派单，请从需求编号中删去"  # raised in Chinese
    assert error_message(caught.value, field_label) == \
        "需求：n3 已关闭，不能派单，请从需求编号中删去"
    team = ServiceTeam(id="T", name="x", experts=["e2"], needs=["n3", "n2"])
    with pytest.raises(ValidationError, match="n3 已关闭，不能派单"):
        plan_team(small, KeywordScorer(), team=team)
    assert plan_team(small, KeywordScorer(), need_ids=["n1", "n2"],
                     expert_ids=["e1", "e2"]).assignment.solved  # open needs: as before
