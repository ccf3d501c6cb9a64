"""`techmatch match` printed the answer's message only when the need was routed to staff, so
an empty list the filters caused (--require-local with no local candidate) printed nothing."""

from __future__ import annotations

import pytest

from techmatch.cli.match import _print
from techmatch.matcher.service import FILTERED_MESSAGE, ROUTE_MESSAGE
from techmatch.models.results import Ranking


@pytest.mark.parametrize(("routed", "message", "code"), [
    (False, FILTERED_MESSAGE, "no_filter_match"), (True, ROUTE_MESSAGE, "no_good_match")])
def test_the_message_is_printed_whether_routed_or_not(
        capsys: pytest.CaptureFixture[str], routed: bool, message: str, code: str) -> None:
    _print(Ranking(kind="achievement", mode="hybrid", hits=[], routed_to_staff=routed,
                   message=message, message_code=code))  # type: ignore[arg-type]
    assert capsys.readouterr().out.strip() == f"!! {message}"
