"""Generate the posts of a scenario: the incident's originals (main wave, rumour, official
response, debunking, reactions, aftermath), their repost trees, and background chatter about
unrelated things. Deterministic for a seed: every random draw comes from generators spawned
from ``numpy.random.SeedSequence([seed, <scenario name hash>])``.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.simulate import process
from workbench.simulate.authors import Author, AuthorPool, media_names, official_names
from workbench.simulate.scenario import Scenario
from workbench.simulate.text import BackgroundMaker, TextMaker, repost_text

BACKGROUND_SENTIMENT = {"negative": 0.2, "neutral": 0.45, "positive": 0.35}
BACKGROUND_BRANCHING = 0.25

# Context defaults per incident type (a scenario's place / actors / facts override them).
DEFAULTS: dict[str, dict[str, Any]] = {
    "chemical_explosion": {"enterprise": "某化工有限公司", "enterprise_short": "化工厂", "hospital": "市第一人民医院",
                           "deaths": 2, "injured": 15, "evacuated": 3000},
    "flood": {"river": "江河", "meters": "1.2", "deaths": 5, "injured": 20, "evacuated": 50000},
    "food_safety": {"brand": "某连锁餐饮", "stores": 120, "injured": 16, "fine": 50},
    "official_rumour": {"person": "某局长", "title": "某局局长", "rumourer": "李某", "n_items": 7},
    "price_rise": {"goods": "水价", "pct": 15, "money": 30, "years": 8},
    "celebrity_controversy": {"star": "某明星", "brand_star": "某品牌", "n_items": 3},
    "official_misconduct": {"office": "某局", "person": "工作人员", "act": "违规执法", "victim": "当事人",
                            "n_items": 2},
    "product_contamination": {"brand": "某乳业", "product": "婴幼儿奶粉", "substance": "有害物质", "injured": 300,
                              "deaths": 1, "provinces": 10},
    "values_controversy": {"subject": "某出版物", "offence": "内容不当", "hurt": "公众感情", "n_items": 5, "reads": 1},
    "community_dispute": {"estate": "某小区", "property": "物业公司", "problem": "停水", "households": 800},
    "severe_weather": {"weather": "暴雪", "cm": 25, "n_roads": 6, "cold": 12},
}


@dataclass
class SimPost:
    channel: str
    kind: str
    hours: float  # hours after the onset (negative before it)
    author: Author
    text: str
    parent: int | None
    root: int
    depth: int
    truth_event: str
    phase: str
    sentiment: str
    own_words: str = ""  # a repost's own comment, for chains further down
    rumour: bool = False
    debunk: bool = False
    official: bool = False
    native_id: str = ""
    reposts: int = 0
    comments: int = 0
    likes: int = 0


@dataclass
class Simulation:
    scenario: Scenario
    seed: int
    posts: list[SimPost]
    timeline: list[dict[str, Any]] = field(default_factory=list)

    def time_of(self, hours: float) -> dt.datetime:
        return self.scenario.onset + dt.timedelta(seconds=round(hours * 3600))


def _choice(rng: np.random.Generator, mix: dict[str, float]) -> str:
    keys = list(mix)
    return keys[int(rng.choice(len(keys), p=np.array([mix[k] for k in keys])))]


def _context(sc: Scenario, officials: list[str], media: list[str]) -> dict[str, Any]:
    onset = sc.onset
    ctx: dict[str, Any] = dict(DEFAULTS.get(sc.type, {}))
    ctx.update({"city": sc.place.get("city"), "district": sc.place.get("district", sc.place.get("city"))})
    ctx.update(sc.place)
    ctx.update(sc.actors)
    ctx.update({k: v for k, v in sc.facts.items() if isinstance(v, str | int | float)})
    ctx["date"] = f"{onset.month}月{onset.day}日"
    ctx["hour"] = f"{onset.hour}时许"
    ctx["official"] = sc.official_by or officials[0]
    ctx["media"] = media
    ctx["reporter"] = ["张明", "李晓", "王思远", "陈静", "刘洋", "周婷", "吴昊"]
    ctx["days"] = ["两", "三", "五", "好几", "一周"]
    ctx["claim"] = sc.rumour.claim if sc.rumour else "还有更多内幕没有公布"
    return ctx


def simulate(sc: Scenario, seed: int | None = None) -> Simulation:
    """Generate every post of scenario ``sc`` for ``seed`` (default: the scenario's seed)."""
    seed = sc.seed if seed is None else seed
    ss = np.random.SeedSequence([seed, zlib.crc32(sc.name.encode("utf-8"))])
    r_time, r_auth, r_text, r_casc, r_misc = (np.random.default_rng(s) for s in ss.spawn(5))

    city = sc.place["city"]
    officials = official_names(city, sc.type, [sc.official_by] if sc.official_by else [])
    if sc.rumour and sc.rumour.debunk_by and sc.rumour.debunk_by not in officials:
        officials.append(sc.rumour.debunk_by)
    media = media_names(city)
    enterprises = [sc.actors["enterprise_account"]] if "enterprise_account" in sc.actors else []
    n_people = max(60, int(0.55 * (sc.incident_posts + sc.background_posts)))
    pool = AuthorPool(r_auth, n_people, city, officials, media, enterprises)
    mean_w = float(np.median([a.weight for a in pool.individuals]))
    ctx = _context(sc, officials, media)
    maker = TextMaker(sc.type, ctx, r_text)

    start_offset = sc.onset_hours  # hours from start to onset
    start_hod = sc.start.hour + sc.start.minute / 60
    hi = sc.duration_hours - sc.onset_hours  # horizon, hours after onset
    event = sc.incident_id

    # ---- the incident's originals: (hours, phase, author, channel)
    m = max(8, round(sc.incident_posts * (1.0 - sc.branching)))
    roots: list[tuple[float, str, Author, str]] = []
    official_at = sc.official_response_hours
    if official_at is not None:
        by = pool.official(sc.official_by)
        roots.append((official_at, "official", by, "weibo"))
        for follow in (6.0, 20.0):
            if official_at + follow < hi:
                roots.append((official_at + follow, "official", pool.official(sc.official_by), "weibo"))
        n_react = round(0.07 * m)
        for t in process.pulse_times(r_time, n_react, at=official_at + 0.05, scale_hours=2.5, hi=hi):
            roots.append((float(t), "react_official", None, ""))
    if enterprises:  # the company's / studio's own statement, an hour after the peak
        at = min(hi - 0.5, sc.peak_hours + 1.0)
        roots.append((at, "official", pool.enterprises[0], "weibo"))
    rum = sc.rumour
    if rum is not None:
        rum_hi = min(hi, rum.debunk_at_hours + 1.5) if rum.debunk_at_hours is not None else hi
        for t in process.pulse_times(r_time, round(rum.share * m), at=rum.at_hours, scale_hours=3.0, hi=rum_hi):
            roots.append((float(t), "rumour", None, ""))
        if rum.debunk_at_hours is not None and rum.debunk_at_hours < hi:
            dby = pool.official(rum.debunk_by or sc.official_by)
            roots.append((rum.debunk_at_hours, "debunk", dby, "weibo"))
            if rum.debunk_at_hours + 0.7 < hi:
                roots.append((rum.debunk_at_hours + 0.7, "debunk", pool.official(), "weibo"))
            for t in process.pulse_times(r_time, round(0.06 * m), at=rum.debunk_at_hours + 0.1,
                                         scale_hours=2.0, hi=hi):
                roots.append((float(t), "debunk_react", None, ""))
    # the next day's follow-up: investigations, accountability, reflection (a small second wave)
    if hi > 30:
        for t in process.pulse_times(r_time, round(0.06 * m), at=22.0, scale_hours=8.0, hi=hi):
            roots.append((float(t), "aftermath", None, ""))
    n_main = max(4, m - len(roots))
    wave = process.wave_times(r_time, n_main, peak_hours=sc.peak_hours, shape=sc.shape, hi=hi,
                              start_offset=start_offset, start_hour_of_day=start_hod, rhythm=0.6)
    wave = np.sort(wave)
    wave[0] = min(wave[0], 0.05)  # the first report comes right after the onset
    for t in wave:
        t = float(t)
        if t < 1.5:
            phase = "onset"
        else:
            after = float(np.clip((t - 2.5 * sc.peak_hours) / (4.0 * sc.peak_hours), 0.0, 0.85))
            phase = "aftermath" if r_misc.random() < after else _choice(
                r_misc, {"spread": 0.5, "detail": 0.25, "question": 0.25})
        roots.append((t, phase, None, ""))

    # fill in authors and channels
    full_roots: list[tuple[float, str, Author, str]] = []
    for t, phase, author, channel in roots:
        if not channel:
            channel = _choice(r_misc, sc.channels)
            if phase in {"onset"} and channel == "news":
                channel = "weibo"
        if author is None:
            if channel == "news":
                author = pool.outlet()
            elif channel == "weibo" and t > 0.5 and r_misc.random() < 0.07:
                author = pool.outlet()
            elif r_misc.random() < 0.04:
                author = pool.kol()
            else:
                author = pool.individual()
        full_roots.append((t, phase, author, channel))

    incident = _build(full_roots, event, sc.sentiment, maker, pool, r_casc, r_misc,
                      branching=sc.branching, decay=sc.decay_hours, hi=hi, mean_w=mean_w,
                      target=sc.incident_posts)

    # ---- background chatter
    background: list[SimPost] = []
    if sc.background_posts and sc.background_topics:
        bmaker = BackgroundMaker(ctx, r_text)
        nb = max(1, round(sc.background_posts * (1.0 - BACKGROUND_BRANCHING)))
        times = process.uniform_times(r_time, nb, lo=-sc.onset_hours, hi=hi, start_offset=start_offset,
                                      start_hour_of_day=start_hod)
        broots = []
        for t in np.sort(times):
            topic = sc.background_topics[int(r_misc.integers(len(sc.background_topics)))]
            channel = "forum" if (sc.channels.get("forum", 0) > 0 and r_misc.random() < 0.15) else "weibo"
            broots.append((float(t), topic, pool.individual(), channel))
        background = _build_background(broots, bmaker, pool, r_casc, r_misc, hi=hi, mean_w=mean_w,
                                       target=sc.background_posts)

    posts = incident + [_shift(p, len(incident)) for p in background]
    posts = _finalise(posts, sc, r_misc)
    sim = Simulation(sc, seed, posts)
    sim.timeline = timeline(sim)
    return sim


def _shift(p: SimPost, k: int) -> SimPost:
    p.parent = None if p.parent is None else p.parent + k
    p.root += k
    return p


def _sentiment_for(phase: str, mix: dict[str, float], rng: np.random.Generator) -> str:
    if phase in {"official", "debunk"}:
        return "neutral"
    if phase == "rumour":
        return _choice(rng, {"negative": 0.75, "neutral": 0.25})
    if phase == "debunk_react":
        return _choice(rng, {"neutral": 0.5, "positive": 0.35, "negative": 0.15})
    if phase == "react_official":
        shifted = dict(mix)
        shifted["positive"] = shifted.get("positive", 0) + 0.2
        total = sum(shifted.values())
        return _choice(rng, {k: v / total for k, v in shifted.items()})
    return _choice(rng, mix)


def _draw_repost_author(pool: AuthorPool, rng: np.random.Generator):
    def draw():
        a = pool.kol() if rng.random() < 0.02 else pool.individual()
        return a, a.weight

    return draw


def _build(roots, event, mix, maker: TextMaker, pool: AuthorPool, r_casc, r_misc, *, branching,
           decay, hi, mean_w, target) -> list[SimPost]:
    """Originals + their repost trees for the incident, trimmed to about ``target`` posts."""
    [c for _, _, _, c in roots]
    seeds = []
    for t, _, author, channel in roots:
        boost = 2.0 if author.type == "government" else 1.0
        seeds.append((t, author, author.weight * boost * (0.15 if channel == "news" else 1.0)))
    nodes = process.grow_cascades(
        r_casc, seeds, branching=branching, decay_hours=decay, hi=hi, mean_weight=mean_w,
        draw_mark=_draw_repost_author(pool, r_casc), can_spawn=lambda i: True,
        max_nodes=int(target * 1.6) + 50,
    )
    nodes = _trim(nodes, len(roots), target, r_misc)
    posts: list[SimPost] = []
    index: dict[int, int] = {}
    floors: dict[int, int] = {}
    for i, node in nodes:
        maker.ctx["days"] = "一两三四五六七八九十"[min(9, max(0, int(node.time // 24)))]
        if node.parent == -1:
            _, phase, author, channel = roots[i]
            sentiment = _sentiment_for(phase, mix, r_misc)
            if author.type in {"government", "enterprise"} and phase in {"official", "debunk"}:
                text = maker.official(phase, author.name, f"{maker.ctx['date']}")
            elif channel == "news":
                text = maker.news(phase if phase in {"rumour", "debunk"} else "spread")
            elif author.type == "media":
                text = maker.media_weibo(phase)
            elif channel == "forum":
                vocab_phase = phase if phase in maker.vocab else "spread"
                text = maker.forum_thread(_text_phase(vocab_phase), sentiment)
            else:
                mention = None
                if r_misc.random() < 0.3:
                    mention = pool.official().name if r_misc.random() < 0.6 else pool.outlet().name
                text = maker.weibo(_text_phase(phase), sentiment, mention)
            post = SimPost(channel, "original", node.time, author, text, None, len(posts), 0, event, phase,
                           sentiment, rumour=phase == "rumour", debunk=phase == "debunk",
                           official=author.type == "government")
        else:
            parent = posts[index[node.parent]]
            root = posts[parent.root]
            channel = parent.channel
            if channel == "news":  # news articles are shared on Weibo
                channel = "weibo"
            phase = root.phase
            sentiment = parent.sentiment if r_misc.random() < 0.6 else _sentiment_for(phase, mix, r_misc)
            author = node.mark
            if channel == "forum":
                floors[parent.root] = floors.get(parent.root, 0) + 1
                words = maker.forum_reply(floors[parent.root], sentiment)
                text = words
                kind = "reply"
            else:
                words = maker.repost_comment(sentiment, phase)
                chain = []
                anc = parent
                while anc.kind == "repost" and len(chain) < 5:
                    chain.append((anc.author.name, anc.own_words))
                    anc = posts[anc.parent]
                text = repost_text(words, chain)
                kind = "repost"
            if parent.channel == "news":
                kind = "original"  # a Weibo post sharing a news link: its own tree
                phase = "news_share"
                text = (words or "转发新闻") + " " + parent.text[: 40 + int(r_misc.integers(20))] + "…"
            if kind == "original":
                post = SimPost(channel, kind, node.time, author, text, None, len(posts), 0, event, phase,
                               sentiment, own_words=words)
            else:
                post = SimPost(channel, kind, node.time, author, text, index[node.parent], parent.root,
                               parent.depth + 1, event, phase, sentiment, own_words=words,
                               rumour=root.rumour)
        index[i] = len(posts)
        posts.append(post)
    return posts


def _text_phase(phase: str) -> str:
    return {"debunk": "debunk_react", "official": "react_official"}.get(phase, phase)


def _trim(nodes: list[process.Node], n_roots: int, target: int, rng: np.random.Generator):
    """Drop random leaf reposts until at most ``target`` nodes remain (roots are kept)."""
    alive = np.ones(len(nodes), dtype=bool)
    excess = len(nodes) - target
    while excess > 0:
        has_child = np.zeros(len(nodes), dtype=bool)
        for j, node in enumerate(nodes):
            if alive[j] and node.parent >= 0:
                has_child[node.parent] = True
        leaves = [j for j in range(n_roots, len(nodes)) if alive[j] and not has_child[j]]
        if not leaves:
            break
        drop = rng.choice(len(leaves), size=min(excess, len(leaves)), replace=False)
        for d in drop:
            alive[leaves[int(d)]] = False
        excess -= len(drop)
    return [(j, nodes[j]) for j in range(len(nodes)) if alive[j]]


def _build_background(roots, bmaker: BackgroundMaker, pool: AuthorPool, r_casc, r_misc, *, hi, mean_w,
                      target) -> list[SimPost]:
    seeds = [(t, a, a.weight) for t, _, a, _ in roots]
    nodes = process.grow_cascades(
        r_casc, seeds, branching=BACKGROUND_BRANCHING, decay_hours=1.0, hi=hi, mean_weight=mean_w,
        draw_mark=_draw_repost_author(pool, r_casc), can_spawn=lambda i: True,
        max_nodes=int(target * 1.5) + 20,
    )
    nodes = _trim(nodes, len(roots), target, r_misc)
    posts: list[SimPost] = []
    index: dict[int, int] = {}
    for i, node in nodes:
        if node.parent == -1:
            t, topic, author, channel = roots[i]
            sentiment = _choice(r_misc, BACKGROUND_SENTIMENT)
            text = bmaker.post(topic, sentiment)
            post = SimPost(channel, "original", t, author, text, None, len(posts), 0, f"BG-{topic}",
                           "background", sentiment)
        else:
            parent = posts[index[node.parent]]
            words = ["转发微博", "哈哈哈", "同意", "真的", "+1", "笑死", "我也是", "羡慕", "哈哈哈哈", "可以"][
                int(r_misc.integers(10))]
            kind = "reply" if parent.channel == "forum" else "repost"
            text = words if kind == "reply" else repost_text(words, [(parent.author.name, parent.own_words)]
                                                             if parent.kind == "repost" else [])
            post = SimPost(parent.channel, kind, node.time, node.mark, text, index[node.parent], parent.root,
                           parent.depth + 1, parent.truth_event, "background", parent.sentiment, own_words=words)
        index[i] = len(posts)
        posts.append(post)
    return posts


def _finalise(posts: list[SimPost], sc: Scenario, rng: np.random.Generator) -> list[SimPost]:
    """Sort by time, renumber parents/roots, assign native ids in time order, engagement counts."""
    order = sorted(range(len(posts)), key=lambda i: (posts[i].hours, i))
    new = {old: k for k, old in enumerate(order)}
    out = [posts[i] for i in order]
    for p in out:
        p.parent = None if p.parent is None else new[p.parent]
        p.root = new[p.root]
    children = np.zeros(len(out), dtype=np.int64)
    for p in out:
        if p.parent is not None:
            children[p.parent] += 1
    base = int(sc.onset.timestamp())
    counters = {"weibo": 0, "news": 0, "forum": 0}
    for k, p in enumerate(out):
        counters[p.channel] += 1
        n = counters[p.channel]
        if p.channel == "weibo":
            p.native_id = str(4_900_000_000_000_000 + (base % 10**6) * 10**7 + n * 9973)
        elif p.channel == "news":
            p.native_id = f"{sc.onset:%Y%m%d}{n:05d}"
        else:
            p.native_id = f"{'t' if p.kind == 'original' else 'p'}{7_000_000 + n * 37}"
        f = p.author.followers
        p.reposts = int(children[k] + rng.poisson(0.002 * f ** 0.8 + 0.2))
        p.comments = int(rng.poisson(0.01 * f ** 0.7 + 0.5))
        p.likes = int(rng.poisson(0.03 * f ** 0.75 + 1.0))
    return out


def timeline(sim: Simulation) -> list[dict[str, Any]]:
    """What happened when, in ground truth (times in UTC ISO and hours after onset)."""
    sc = sim.scenario
    rows: list[tuple[float, str, str]] = [(0.0, "onset", f"{sc.title}：事件发生")]
    inc = [p for p in sim.posts if p.truth_event == sc.incident_id]
    if inc:
        rows.append((inc[0].hours, "first_post", "第一条相关帖子"))
        hours = np.floor(np.array([p.hours for p in inc]))
        vals, counts = np.unique(hours, return_counts=True)
        rows.append((float(vals[int(np.argmax(counts))]), "peak_hour", f"高峰小时：{int(counts.max())} 条"))
        rows.append((inc[-1].hours, "last_post", "最后一条相关帖子"))
    if sc.rumour:
        rows.append((sc.rumour.at_hours, "rumour", f"谣言出现：{sc.rumour.claim}"))
        if sc.rumour.debunk_at_hours is not None:
            rows.append((sc.rumour.debunk_at_hours, "debunk", "官方辟谣"))
    if sc.official_response_hours is not None:
        rows.append((sc.official_response_hours, "official_response", f"官方回应：{sc.official_by or ''}"))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [
        {"hours_after_onset": round(h, 3), "at": sim.time_of(h).astimezone(dt.UTC).isoformat(),
         "what": what, "detail": detail}
        for h, what, detail in rows
    ]
