"""Request models refuse a boolean where a number is expected (pydantic would read true as 1)."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from techmatch.api.routers.plans import ConstraintsIn, RoadshowRequest
from techmatch.models.dockings import Contract
from techmatch.models.programme import Target
from techmatch.models.strict import NumbersNotBooleans


class Sample(NumbersNotBooleans):
    count: int = 0
    share: float | None = None
    pair: tuple[int, int] = (0, 0)
    per_key: dict[str, int] = {}
    flag: bool = False


def test_numbers_pass_and_booleans_in_numeric_fields_are_refused_by_name() -> None:
    ok = Sample(count=3, share=0.5, pair=(1, 2), per_key={"a": 1}, flag=True)
    assert (ok.count, ok.share, ok.pair, ok.per_key, ok.flag) == (3, 0.5, (1, 2), {"a": 1}, True)
    for field, value in (("count", True), ("share", False), ("pair", [1, True]),
                         ("per_key", {"a": True})):
        with pytest.raises(ValidationError, match=f"字段 '{field}' 应为数字，不能是 true/false"):
            Sample.model_validate({field: value})


def test_request_models_of_plans_dockings_and_programme_are_strict() -> None:
    with pytest.raises(ValidationError, match="'default_capacity'"):
        ConstraintsIn.model_validate({"default_capacity": True})
    with pytest.raises(ValidationError, match="'slots'"):
        RoadshowRequest.model_validate({"city": "苏州", "slots": True})
    with pytest.raises(ValidationError, match="'value_wan'"):
        Contract.model_validate({"contract_type": "license", "value_wan": True,
                                 "signed_on": dt.date(2026, 11, 1)})
    assert Contract.model_validate({"contract_type": "license", "value_wan": 120,
                                    "signed_on": "2026-11-01"}).value_wan == 120
    with pytest.raises(ValidationError, match="'year'"):
        Target.model_validate({"year": True, "city": "苏州", "metric": "events.training",
                               "value": 3})
