"""What a viewer without access to confidential needs reads of an event
(techmatch.matcher.programme.redact)."""

from __future__ import annotations

import datetime as dt

from techmatch.matcher.programme.redact import HIDDEN_NAME, HIDDEN_WORK, redact, scrub
from techmatch.models.programme import Event, Participant

HIDDEN = frozenset({"N037", "need-secret"})


def _event(*people: Participant) -> Event:
    return Event(id="EV", type="training", title="培训·苏州·oled、mura缺陷", topic="oled、mura缺陷",
                 date=dt.date(2026, 6, 1), city="苏州", participants=list(people),
                 plan={"topics": []})


def test_scrub_replaces_whole_ids_only() -> None:
    assert scrub("需求 N037 第 1 名；需求 N0370 第 2 名", HIDDEN) == \
        ("需求 （保密需求） 第 1 名；需求 N0370 第 2 名", True)
    assert scrub("need-secret-2 与 need-secret", HIDDEN) == ("need-secret-2 与 （保密需求）", True)
    assert scrub("需求 N038 第 1 名", HIDDEN) == ("需求 N038 第 1 名", False)
    assert scrub("", HIDDEN) == ("", False)


def test_an_event_citing_a_hidden_need_loses_title_topic_and_plan() -> None:
    trainer = Participant(role="trainer", kind="expert", ref="E1", name="李工",
                          reason="A1《显示面板检测》（需求 N037 第 1 名）")
    seen = redact(_event(trainer), HIDDEN)
    assert (seen.title, seen.topic, seen.plan) == \
        ("培训·苏州（含保密需求，主题不公开）", None, None)
    # the achievement it ranked for the hidden need would name that need's topic
    assert seen.participants[0].reason == HIDDEN_WORK
    assert seen.participants[0].name == "李工"


def test_a_trainer_keeps_the_works_cited_for_visible_needs_only() -> None:
    reason = ("与主题需求平均匹配置信度 0.62；相关成果："
              "A081《基于人眼视觉模型的OLED面板Mura缺陷检测》（需求 N037 第 1 名）；"
              "A002《锂电池隔膜涂层》（需求 N001 第 2 名）；可安排")
    trainer = Participant(role="trainer", kind="expert", ref="E1", name="李工", reason=reason)
    seen = redact(_event(trainer), HIDDEN).participants[0]
    assert seen.reason == ("与主题需求平均匹配置信度 0.62；相关成果：" + HIDDEN_WORK
                           + "；A002《锂电池隔膜涂层》（需求 N001 第 2 名）；可安排")
    assert "OLED" not in seen.reason and "A081" not in seen.reason


def test_an_invitation_of_a_hidden_need_is_masked_and_others_are_untouched() -> None:
    invited = Participant(role="invitee", kind="enterprise", name="某面板厂", need_id="N037",
                          reason="需求《OLED mura》尚无已确认对接")
    other = Participant(role="invitee", kind="enterprise", name="某电池厂", need_id="N001")
    seen = redact(_event(invited, other), HIDDEN)
    assert [(p.name, p.need_id, p.reason) for p in seen.participants] == [
        (HIDDEN_NAME, None, ""), ("某电池厂", "N001", "")]
    assert seen.title.endswith("（含保密需求，主题不公开）")


def test_an_event_without_hidden_needs_is_returned_as_it_is() -> None:
    event = _event(Participant(role="trainer", kind="expert", ref="E1", reason="需求 N001 第 1 名"))
    assert redact(event, HIDDEN) is event
    assert redact(event, frozenset()) is event
