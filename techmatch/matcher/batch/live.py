"""A need's stored batch results brought up to date by the staff action that changed them.

The 工作台 and 覆盖分析 read the stored batch results (`results.pairs`). A need's stored
ranking depends on its content and on the pairs staff dropped for it as not relevant / never
to suggest — its inputs fingerprint (`fingerprint.need_inputs`), stored beside the rows — so
a need posted or edited, a pair rejected or a dropped pair reopened left the pages showing
the ranking of the last nightly batch (or none: 未计算) until the next one. Whether a need
is open is read live by the pages: one closed (需求已解决, signed, edited) leaves the lists at
once, and keeps its last rows, as the batch keeps them.

`refresh_needs`, called by the API and console after such an action, re-matches each open
need whose stored fingerprint no longer matches, with the batch's own code
(`run.need_rows`: the last finished run's target kinds, k and explanations, the running
configuration) and replaces its stored rows, so they equal what `MatchService.match_need`
returns — about 20–60 ms per need and target kind. A need whose inputs did not change (a
docking created at 推荐, moved forward, reassigned) costs one fingerprint. The rows keep the
run id of that last run: the next run checks the candidates changed since that run's start,
more than since the refresh, never fewer. Past `LIVE_LIMIT` stale needs in one action (a
file of hundreds of needs) the rest are not matched in the request: their stale rows are
dropped, so the pages list them as 未计算 until the next batch rather than an old ranking;
the same when matching fails (an index being rebuilt). Before the first finished batch
nothing is stored and nothing is done. A batch chunk that read a need before such an
action and commits after its refresh keeps the refreshed rows (`run.write_current`).

The CLI does not load the matcher (the encoder takes seconds): its actions that change a
need's inputs (`dockings move` / `import`, `feedback`, `ingest` of needs) compare the
inputs before and after (`inputs_now`) and drop the stale rows of the open needs that
changed (`await_batch`), so the pages say 未计算 until the next batch, as past the limit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from techmatch.matcher.batch import results
from techmatch.matcher.batch.fingerprint import (
    config_fingerprint,
    need_fingerprint,
    need_inputs,
    resolved_config,
)
from techmatch.matcher.batch.plan import is_open
from techmatch.matcher.batch.run import need_rows, write_current
from techmatch.matcher.service import MatchService
from techmatch.models.records import Need
from techmatch.store import Store

log = logging.getLogger(__name__)

LIVE_LIMIT = 20  # stale needs re-matched within one action; the rest wait for the batch


@dataclass
class Refreshed:
    """What one refresh did: needs re-matched, needs whose stale rows were dropped."""

    rematched: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def refresh_needs(service: MatchService, need_ids: Iterable[str], *,
                  limit: int | None = None) -> Refreshed:
    """Bring the stored batch results of these needs up to date (see the module docstring).
    Never raises: the action that called it has happened; a failure is logged and its
    needs' stale rows dropped."""
    done = Refreshed()
    ids = sorted(set(need_ids))
    store = service.engine.store
    try:
        finished = results.runs(store, status="finished", limit=1) if ids else []
        if not finished:
            return done
        run = finished[0]
        kinds = _kinds(service, run)
        live = store.get_many(ids)
        needs = [n for nid in ids if isinstance(n := live.get(nid), Need) and is_open(n)]
        stale = _stale(service, kinds, needs)
    except Exception:  # noqa: BLE001 - the pages show what is stored; the batch catches up
        log.exception("无法检查需求 %s 的批量匹配结果是否需要更新", "、".join(ids))
        return done
    order = [n for n in needs if any(n.id in found for found in stale.values())]
    most = LIVE_LIMIT if limit is None else limit
    now, later = order[:most], {n.id for n in order[most:]}
    for kind, (config_fp, explain) in kinds.items():
        wanted = [n for n in now if n.id in stale[kind]]
        if not wanted:
            continue
        try:
            rows = need_rows(service, wanted, kind, k=run.k, explain=explain,
                             config_fp=config_fp)
            with results.transaction(store):  # a later action's refresh may have won
                write_current(store, run.run_id, kind, rows, config_fp=config_fp)
        except Exception:  # noqa: BLE001 - as above; its stale rows are dropped instead
            log.exception("需求 %s 的匹配结果（%s）未能即时更新，待下次批量匹配",
                          "、".join(n.id for n in wanted), kind)
            later.update(n.id for n in wanted)
    if later:
        try:
            with results.transaction(store):
                for kind in kinds:
                    results.forget_needs(store, sorted(later & stale[kind]), kind)
        except Exception:  # noqa: BLE001
            log.exception("无法清除需求 %s 的过期批量匹配结果", "、".join(sorted(later)))
    done.dropped = sorted(later)
    done.rematched = [n.id for n in now if n.id not in later]
    return done


def _kinds(service: MatchService, run: results.RunRecord) -> dict[str, tuple[str, bool]]:
    """target kind → (configuration fingerprint, explanations) of the run's kinds, k and
    explanations under the running configuration (model, encoder …), as a run computes
    them (`run._Job`)."""
    out = {}
    for kind in run.kinds:
        given = run.config.get(kind, {})
        explain = bool(given.get("explain", True))
        config = resolved_config(service, kind=kind, k=run.k,
                                 chunk=int(given.get("chunk", 32)), explain=explain)
        out[kind] = (config_fingerprint(config), explain)
    return out


def _stale(service: MatchService, kinds: dict[str, tuple[str, bool]],
           needs: list[Need]) -> dict[str, set[str]]:
    """target kind → ids of `needs` whose stored fingerprint is not their current one."""
    store = service.engine.store
    ids = [n.id for n in needs]
    out: dict[str, set[str]] = {}
    for kind, (config_fp, _) in kinds.items():
        inputs = need_inputs(store, needs, kind) if needs else {}
        stored = results.state(store, kind, ids) if ids else {}
        out[kind] = {n.id for n in needs if n.id not in stored
                     or stored[n.id][0] != need_fingerprint(config_fp, inputs[n.id])}
    return out


TARGET_KINDS = ("achievement", "expert")


def inputs_now(store: Store, need_ids: Iterable[str] | None = None) -> dict[str, str]:
    """need id → what its stored results depend on beyond the configuration (its content
    and the pairs dropped for it, every target kind: `need_inputs`), of the given needs or,
    when None, of every need with stored results. Compared before and after an action."""
    ids = sorted(results.stored_need_ids(store) if need_ids is None else set(need_ids))
    live = store.get_many(ids) if ids else {}
    needs = [n for nid in ids if isinstance(n := live.get(nid), Need)]
    per = {kind: need_inputs(store, needs, kind) if needs else {} for kind in TARGET_KINDS}
    return {n.id: "\n".join(per[kind][n.id] for kind in TARGET_KINDS) for n in needs}


def changed(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """Needs whose inputs differ between two `inputs_now` (new ones included)."""
    return sorted(nid for nid, now in after.items() if before.get(nid) != now)


def await_batch(store: Store, need_ids: Iterable[str]) -> list[str]:
    """Drop the stored results of these needs, changed by an action that does not re-match
    them (the CLI's), so the pages list them as 未计算 rather than an old ranking; return the
    open ones: they await the next batch. A closed need keeps its last rows, as the batch
    keeps them."""
    ids = sorted(set(need_ids))
    live = store.get_many(ids) if ids else {}
    waiting = [nid for nid in ids if isinstance(n := live.get(nid), Need) and is_open(n)]
    if waiting:
        with results.transaction(store):
            results.forget_needs(store, waiting)
    return waiting


def waiting_line(need_ids: Iterable[str]) -> str | None:
    """The CLI's line for needs whose results await the next batch (None: none)."""
    ids = sorted(set(need_ids))
    if not ids:
        return None
    shown = "、".join(ids[:5]) + (" 等" if len(ids) > 5 else "")
    return (f"{len(ids)} 条需求（{shown}）的匹配结果待下次批量匹配（techmatch batch）更新，"
            f"工作台、覆盖分析暂显示为 未计算")
