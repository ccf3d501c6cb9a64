"""Training planner: cluster unmet demand per city × industry into topics, propose experts to
teach and enterprises to invite, with reasons; save a proposal as a training event.

Unmet demand: open needs without a confirmed docking (企业确认 or later). Needs are grouped
per (city, top industry of the taxonomy), the city as the programme dashboard places a need
(`places.Places`: city and province, so 朝阳 in 辽宁 and in 北京 are two cities, shown as
朝阳（辽宁）; a need naming only a shared name is grouped under that name with a note);
inside a group two needs join one topic when they share a keyword (the need's own keywords,
else its title words) or their vectors' cosine is at least `link_similarity` (connected
components, so the grouping does not depend on input order). On the samples e5-small cosines
of needs of the same industry and of different industries overlap (medians 0.878 and
0.868), so the vector link only joins near-duplicates.
A topic is named by its most frequent keywords (ties by first appearance).

Experts for a topic come from the ranking service (need → expert for every need of the
topic), scored by their mean confidence over the topic's needs, and kept only when (works
affinity) one of their works ranks in the top `work_rank` achievements the service finds for
a topic need, when their mean confidence reaches the confidence threshold (as for
roadshows and team assignment), and when they are available (the record's flag, capacity > 0,
and not trainer or presenter at another event on the same date). An expert who works for an invited
enterprise or declared it in its exclusions (techmatch.matcher.conflicts) never teaches the
topic; the topic's notes name those the plan would otherwise have proposed.
Enterprises: those of the topic's needs first, then other open needs of the same city that
mention a topic keyword. `city` is a pilot city's id, or a name (`plans.open_needs`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Annotated

import numpy as np
from pydantic import BaseModel, Field

from techmatch.errors import ValidationError
from techmatch.indexers.ingest.normalize import normalize
from techmatch.indexers.tokenize import Tokenizer
from techmatch.matcher.analytics.topics import need_keywords
from techmatch.matcher.conflicts import conflict, name_key
from techmatch.matcher.engine import Engine
from techmatch.matcher.plans import PairScorer, open_needs
from techmatch.matcher.programme import registry
from techmatch.matcher.programme.places import UNPLACED, Places
from techmatch.models.industries import load_taxonomy
from techmatch.models.plan_labels import CONFLICT_LABELS
from techmatch.models.programme import Event, Participant
from techmatch.models.records import Expert, Need, RecordId, ShortText
from techmatch.store.dockings import DockingRepo

CONFIRMED = ("confirmed", "negotiating", "signed", "completed")
LINK_SIMILARITY = 0.92
WORK_RANK = 10
BOOKED = "当天已在其他活动授课或主讲"
TOPIC_WORDS = 3


Label = Annotated[str, Field(min_length=1, max_length=200)]
Note = Annotated[str, Field(max_length=5_000)]


class WorkMatch(BaseModel):
    """An expert's work among the best achievements for a topic need."""

    achievement_id: RecordId
    title: ShortText
    need_id: RecordId
    rank: int = Field(ge=1)
    score: float = Field(description="the achievement's confidence for that need")


class TopicExpert(BaseModel):
    expert_id: RecordId
    name: ShortText
    organization: ShortText | None = None
    overseas: bool = False
    score: float = Field(description="mean confidence over the topic's needs")
    works: list[WorkMatch] = Field(max_length=100)
    reason: Note


class TopicInvitee(BaseModel):
    need_id: RecordId
    enterprise: ShortText | None
    in_topic: bool
    reason: Note


class TrainingTopic(BaseModel):
    """One proposed training session (also the input that saves it as an event)."""

    city: Annotated[str, Field(min_length=1, max_length=100)]
    industry: Label
    topic: Label
    keywords: list[Label] = Field(max_length=20)
    need_ids: list[RecordId] = Field(max_length=1_000)
    experts: list[TopicExpert] = Field(max_length=50)
    invitees: list[TopicInvitee] = Field(max_length=1_000)
    notes: list[Note] = Field(default_factory=list, max_length=20)


class TrainingPlan(BaseModel):
    unmet: int
    topics: list[TrainingTopic]
    notes: list[str] = Field(default_factory=list)


def unmet_needs(engine: Engine, *, city: str | None = None,
                industry: str | None = None) -> list[Need]:
    """Open needs (of `city` / `industry`) without a confirmed docking, by id."""
    confirmed = {d.need_id for d in DockingRepo(engine.store).kpi_dockings()
                 if d.stage in CONFIRMED}
    return [n for n in open_needs(engine, city=city, industry=industry) if n.id not in confirmed]


def _top(need: Need) -> str:
    node = load_taxonomy().at_level(need.industry, 1)
    return node.name if node else (need.industry or "未知")


def cluster(needs: Sequence[Need], vectors: np.ndarray, keywords: Sequence[set[str]], *,
            link_similarity: float = LINK_SIMILARITY) -> list[list[int]]:
    """Connected components of needs linked by a shared keyword or cosine ≥ link_similarity.

    vectors (n, dim) unit rows; returns index lists, each sorted, ordered by first index.
    """
    n = len(needs)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    sims = vectors @ vectors.T if n else np.zeros((0, 0))
    for i in range(n):
        for j in range(i + 1, n):
            if keywords[i] & keywords[j] or sims[i, j] >= link_similarity:
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        groups[root(i)].append(i)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])


def topic_terms(need: Need, tokenizer: Tokenizer) -> list[str]:
    """The need's own keywords (normalised, in order), else the words of its title."""
    own = list(dict.fromkeys(normalize(k) for k in need.keywords if k.strip()))
    return own or sorted(need_keywords(need, tokenizer))


def _topic_words(terms: Sequence[list[str]]) -> list[str]:
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for words in terms:
        for w in words:
            counts[w] += 1
            first.setdefault(w, len(first))
    ranked = sorted(counts, key=lambda w: (-counts[w], first[w]))
    return ranked[:TOPIC_WORDS]


def _booked(engine: Engine, date: dt.date | None) -> set[str]:
    if date is None:
        return set()
    return {p.ref for e in registry.items(engine.store, "event", start=date, end=date)
            if e.status != "cancelled" for p in e.participants
            if p.role in ("trainer", "presenter") and p.ref}


def _top_works(service: PairScorer, needs: Sequence[Need],
               work_rank: int) -> dict[str, WorkMatch]:
    """achievement id → its best (rank, confidence) among the top achievements of the needs."""
    best: dict[str, WorkMatch] = {}
    for need, ranking in zip(needs, service.match_many(needs, target="achievement",
                                                       k=work_rank, explain=False),
                             strict=True):
        for hit in ranking.hits:
            found = best.get(hit.id)
            if found is None or (hit.rank, need.id) < (found.rank, found.need_id):
                best[hit.id] = WorkMatch(achievement_id=hit.id, title=hit.title,
                                         need_id=need.id, rank=hit.rank,
                                         score=round(hit.confidence or 0.0, 4))
    return best


def conflicted(experts: dict[str, Expert], invited: Sequence[Need]) -> dict[str, str]:
    """expert id → why it cannot teach: it works for an invited enterprise or declared it in
    its exclusions (techmatch.matcher.conflicts), in Chinese."""
    out: dict[str, str] = {}
    for eid, expert in experts.items():
        for need in invited:
            if code := conflict(need, expert):
                out[eid] = f"与受邀企业“{need.enterprise}”存在利益冲突：{CONFLICT_LABELS[code]}"
                break
    return out


def _experts(service: PairScorer, needs: Sequence[Need], experts: dict[str, Expert], *,
             k: int, booked: set[str], overseas_only: bool,
             work_rank: int, barred: Mapping[str, str],
             min_score: float = 0.0) -> tuple[list[TopicExpert], list[str]]:
    """The topic's trainers (mean confidence >= min_score), best first, and the notes of
    matching experts left out because of a conflict of interest with an invited enterprise
    or another event that day."""
    rankings = service.match_many(needs, target="expert", k=max(k * 3, 10), explain=False)
    conf: dict[str, float] = defaultdict(float)
    for ranking in rankings:
        for hit in ranking.hits:
            conf[hit.id] += (hit.confidence or 0.0) / len(needs)
    top = _top_works(service, needs, work_rank)
    out = []
    left_out: list[tuple[float, str, str]] = []
    for eid, score in conf.items():
        expert = experts.get(eid)
        if expert is None or not expert.available or expert.capacity < 1 or score < min_score:
            continue
        matched = sorted((top[w] for w in expert.works if w in top),
                         key=lambda w: (w.rank, w.achievement_id))
        if not matched:
            continue
        if overseas_only and not expert.overseas:
            continue
        if why := barred.get(eid) or (BOOKED if eid in booked else None):
            left_out.append((-score, eid, why))
            continue
        titles = "；".join(f"{w.achievement_id}《{w.title}》（需求 {w.need_id} 第 {w.rank} 名）"
                          for w in matched[:3])
        reason = (f"与主题需求平均匹配置信度 {score:.2f}；相关成果：{titles}；可安排"
                  + ("（海外专家）" if expert.overseas else ""))
        out.append(TopicExpert(expert_id=eid, name=expert.name,
                               organization=expert.organization, overseas=expert.overseas,
                               score=round(score, 4), works=matched, reason=reason))
    out.sort(key=lambda t: (-t.score, t.expert_id))
    floor = out[k - 1].score if len(out) >= k else -np.inf  # noted: those it would have made
    notes = [f"专家 {eid}（{experts[eid].name}）未安排授课：{why}"
             for score, eid, why in sorted(left_out) if round(-score, 4) >= floor]
    return out[:k], notes


def _invitees(needs: Sequence[Need], words: list[str], others: Sequence[Need],
              limit: int) -> list[TopicInvitee]:
    out: dict[str, TopicInvitee] = {}
    for need in needs:
        key = name_key(need.enterprise) or f"need:{need.id}"  # one invitation per enterprise
        out.setdefault(key, TopicInvitee(
            need_id=need.id, enterprise=need.enterprise, in_topic=True,
            reason=f"需求《{need.display_title}》尚无已确认对接"))
    for need in others:
        if len(out) >= limit:
            break
        text = normalize(need.text())
        hit = [w for w in words if w in text]
        key = name_key(need.enterprise) or f"need:{need.id}"
        if hit and key not in out:
            out[key] = TopicInvitee(need_id=need.id, enterprise=need.enterprise,
                                    in_topic=False,
                                    reason=f"需求涉及主题关键词：{'、'.join(hit)}")
    return list(out.values())[:max(limit, len(needs))]


def plan_training(engine: Engine, service: PairScorer, *, city: str | None = None,
                  industry: str | None = None, date: dt.date | None = None,
                  experts_per_topic: int = 3, invites_per_topic: int = 10,
                  min_needs: int = 1, overseas_only: bool = False,
                  link_similarity: float = LINK_SIMILARITY,
                  work_rank: int = WORK_RANK, min_score: float | None = None) -> TrainingPlan:
    """Topics of unmet demand with experts and invitees (see the module docstring).

    Trainers need a mean confidence of at least `min_score` (default: the settings'
    confidence threshold, as roadshows and team assignment use), so no one teaches a topic
    the ranking service finds them no confident match for."""
    if min_score is None:
        min_score = engine.settings.confidence_threshold
    if experts_per_topic < 1 or invites_per_topic < 0 or min_needs < 1:
        raise ValidationError("need experts_per_topic >= 1, invites_per_topic >= 0 and "
                              "min_needs >= 1", field="experts_per_topic")
    unmet = unmet_needs(engine, city=city, industry=industry)
    experts = {e.id: e for e in engine.store.iter_records("expert") if isinstance(e, Expert)}
    booked = _booked(engine, date)
    # a need's city as the dashboard places it (city and province: 朝阳 in 辽宁 and in 北京 are
    # two cells); invitees come from the other open needs of the same place
    places = Places.of(engine.store)
    pool = open_needs(engine)
    keys = {n.id: places.key(n.city, n.province) for n in [*pool, *unmet]}
    shown = places.labels(sorted({k for k in keys.values() if places.unplaced(k) is None}))
    cells: dict[tuple[str, str], list[Need]] = defaultdict(list)
    for need in unmet:
        cells[(keys[need.id], _top(need))].append(need)
    topics = []
    for (place, top), needs in sorted(cells.items(), key=lambda kv: (
            shown.get(kv[0][0]) or places.name(kv[0][0]), kv[0][1], kv[0][0])):
        where = shown.get(place) or places.name(place)  # 朝阳 when no city can be told
        unsure = places.unplaced(place)
        vecs = engine.record_vectors("need", needs)
        vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        terms = [topic_terms(n, engine.tokenizer) for n in needs]
        words = [set(t) for t in terms]
        for group in cluster(needs, vecs, words, link_similarity=link_similarity):
            if len(group) < min_needs:
                continue
            members = [needs[i] for i in group]
            label = _topic_words([terms[i] for i in group])
            others = [n for n in pool if keys[n.id] == place and n.id not in
                      {m.id for m in members}]
            invitees = _invitees(members, label, others, invites_per_topic)
            invited = {v.need_id for v in invitees}
            barred = conflicted(experts, [n for n in (*members, *others) if n.id in invited])
            chosen, left_out = _experts(service, members, experts, k=experts_per_topic,
                                        booked=booked, overseas_only=overseas_only,
                                        work_rank=work_rank, barred=barred,
                                        min_score=min_score)
            none = (f"没有作品与主题相符、可安排且平均匹配置信度不低于 {min_score:g} 的专家"
                    if not chosen else None)
            notes = ([none] if none else []) + left_out
            if unsure is not None:
                notes.insert(0, f"{UNPLACED}：需求只写了城市名“{unsure.name}”、没有省份，"
                                f"不知是 {'、'.join(unsure.ids)} 中的哪一个")
            notes = notes[:20]
            topics.append(TrainingTopic(
                city=where, industry=top, topic=f"{top}：{'、'.join(label)}", keywords=label,
                need_ids=[m.id for m in members], experts=chosen, invitees=invitees,
                notes=notes))
    notes = [f"{len(unmet)} 条未满足需求（开放且无已确认对接）",
             f"授课专家与主题需求的平均匹配置信度不低于 {min_score:g}"]
    return TrainingPlan(unmet=len(unmet), topics=topics, notes=notes)


def training_event(topic: TrainingTopic, *, event_id: str, date: dt.date,
                   title: str | None = None, team_id: str | None = None,
                   organiser: str | None = None) -> Event:
    """The event a proposed topic becomes (not stored yet)."""
    people = [Participant(role="trainer", kind="expert", ref=e.expert_id, name=e.name,
                          overseas=e.overseas, reason=e.reason) for e in topic.experts]
    people += [Participant(role="invitee", kind="enterprise", name=v.enterprise or v.need_id,
                           need_id=v.need_id, reason=v.reason, status="invited")
               for v in topic.invitees]
    return Event(id=event_id, type="training", title=title or f"培训·{topic.city}·{topic.topic}",
                 date=date, city=topic.city, industry=topic.industry, organiser=organiser,
                 team_id=team_id, overseas=any(e.overseas for e in topic.experts),
                 participants=people, topic=topic.topic, plan=topic.model_dump(mode="json"))
