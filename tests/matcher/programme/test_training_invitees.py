"""The training planner invites each enterprise once, however its name is written."""

from __future__ import annotations

from techmatch.matcher.programme.training import _invitees
from techmatch.models.records import Need


def test_one_invitation_per_enterprise_across_scripts_and_widths() -> None:
    needs = [Need(id="N1", title="电子化学品纯化", enterprise="蘇州台聯電子化學品有限公司"),
             Need(id="N2", title="蚀刻液回收", enterprise="苏州台联电子化学品有限公司")]
    others = [Need(id="N3", title="电子化学品 杂质", enterprise="ＡＣＭＥ 公司"),
              Need(id="N4", title="电子化学品 检测", enterprise="acme 公司"),
              Need(id="N5", title="电子化学品 包装")]  # no enterprise: invited by need
    invited = _invitees(needs, ["电子化学品"], others, limit=10)
    assert [(v.need_id, v.in_topic) for v in invited] == [("N1", True), ("N3", False),
                                                          ("N5", False)]
