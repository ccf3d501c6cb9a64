"""On the samples, with the real encoder and the shipped models: a staff rejection leaves the
other candidates' confidences as they were, and a need whose only confident hit was rejected
is routed to staff (rejecting N016's A040 lifted A041 from 22 % to 75 %)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from samples_home import samples_engine

from techmatch.matcher.dockings import Move, NewDocking, create_docking, move_docking
from techmatch.matcher.engine import Engine
from techmatch.matcher.service import MatchService

pytestmark = pytest.mark.slow  # encodes the 214 sample texts on a cold cache


@pytest.fixture()
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    eng = samples_engine(tmp_path_factory.mktemp("rejection") / "home")
    yield eng
    eng.close()


def test_rejecting_the_only_confident_hit_routes_the_need_and_lifts_nobody(
        engine: Engine) -> None:
    service = MatchService(engine)
    threshold = engine.settings.confidence_threshold
    before = service.match_need("N016", target="achievement", k=10)
    top = before.hits[0]
    assert not before.routed_to_staff and (top.confidence or 0.0) >= threshold
    assert all((h.confidence or 0.0) < threshold for h in before.hits[1:])  # the only one
    was = {h.id: h.confidence for h in before.hits}
    d = create_docking(engine.store, NewDocking("N016", top.id, source="match"))
    move_docking(engine.store, d.id, Move(to="dropped", version=1, reason="not_relevant"))
    after = service.match_need("N016", target="achievement", k=10)
    assert top.id not in {h.id for h in after.hits}
    assert [h.rank for h in after.hits] == list(range(1, 11))
    assert [h.id for h in after.hits[:9]] == [h.id for h in before.hits[1:]]
    for h in after.hits[:9]:
        assert h.confidence == pytest.approx(was[h.id], abs=1e-9), h.id
    # nothing left is confident: staff take it (it was not routed while A040 led)
    assert after.routed_to_staff and after.message_code == "no_good_match"
