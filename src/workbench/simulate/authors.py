"""Simulated accounts: individuals with heavy-tailed (lognormal) follower counts, a few
verified KOLs, and official government and media accounts named after the scenario's city.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_PRE = ["小", "阿", "大", "老", "是", "一只", "爱吃", "会飞的", "今天也想", "不吃", "睡不醒的", "快乐的", "隔壁",
        "江湖", "山海", "月下", ""]
_NOUN = ["鱼", "猫", "兔子", "土豆", "橘子", "星星", "月亮", "风", "桃子", "团子", "柠檬", "熊", "西瓜", "猪猪",
         "菠萝", "云朵", "咸鱼", "奶茶", "海盐", "布丁", "木木", "乐乐", "小北", "夏天", "青柠", "豆包"]
_SUF = ["酱", "君", "同学", "本人", "不吃香菜", "爱睡觉", "在努力", "2024", "_", "呀", "的日常", "er", "啊",
        "", "", "", "丶", "ovo", "很忙", "要早睡"]
_LATIN = ["Sunny", "momo", "Lucky", "Kiki", "Leo", "Coco", "Vivian", "Jack", "Mia", "Yuki", "Ace", "nana"]
_KOL = ["{city}生活圈", "{city}吃瓜君", "{city}身边事", "法律人老王", "财经观察家", "每日热点速递", "娱乐八卦通",
        "社会观察员张三", "话题大V", "{city}同城", "热点追踪者", "科普君"]


@dataclass(frozen=True)
class Author:
    id: str
    name: str
    followers: int
    verified: bool
    type: str  # individual | government | media | enterprise

    @property
    def weight(self) -> float:
        """Influence used for repost offspring: grows slowly with followers."""
        return float((1.0 + self.followers) ** 0.35)


def _nickname(rng: np.random.Generator) -> str:
    r = rng.random()
    if r < 0.18:
        return f"用户{int(rng.integers(10**9, 10**10 - 1))}"
    if r < 0.32:
        return f"{_LATIN[int(rng.integers(len(_LATIN)))]}_{int(rng.integers(1, 9999))}"
    return (_PRE[int(rng.integers(len(_PRE)))] + _NOUN[int(rng.integers(len(_NOUN)))]
            + _SUF[int(rng.integers(len(_SUF)))])


class AuthorPool:
    """A deterministic pool of accounts for one scenario.

    ``individuals`` draw followers from a lognormal (median ~250, sigma 1.9, capped at 30M);
    accounts over 100k followers are verified with probability 0.8 (KOLs), others 0.02.
    ``officials`` and ``media`` are verified institutional accounts with large followings.
    """

    def __init__(self, rng: np.random.Generator, n_individuals: int, city: str,
                 officials: list[str], media: list[str], enterprises: list[str] = ()):
        self.rng = rng
        used: dict[str, int] = {}

        def unique(name: str) -> str:
            if name in used:
                used[name] += 1
                return f"{name}{used[name]}"
            used[name] = 0
            return name

        followers = np.minimum(rng.lognormal(mean=np.log(250), sigma=1.9, size=n_individuals), 3e7)
        people: list[Author] = []
        for i in range(n_individuals):
            f = int(followers[i])
            big = f >= 100_000
            verified = bool(rng.random() < (0.8 if big else 0.02))
            if big and rng.random() < 0.6:
                name = _KOL[int(rng.integers(len(_KOL)))].replace("{city}", city)
            else:
                name = _nickname(rng)
            people.append(Author(f"u{5_000_000_000 + i * 7919:010d}", unique(name), f, verified, "individual"))
        self.individuals = people
        self.officials = [
            Author(f"g{3_000_000_000 + i * 104729:010d}", unique(name),
                   int(rng.integers(200_000, 3_000_000)), True, "government")
            for i, name in enumerate(officials)
        ]
        self.media = [
            Author(f"m{2_000_000_000 + i * 15485863:010d}", unique(name),
                   int(rng.integers(500_000, 40_000_000)), True, "media")
            for i, name in enumerate(media)
        ]
        self.enterprises = [
            Author(f"e{1_000_000_000 + i * 86028121:010d}", unique(name),
                   int(rng.integers(50_000, 5_000_000)), True, "enterprise")
            for i, name in enumerate(enterprises)
        ]
        # Activity is skewed too: a few accounts post a lot (Zipf-like weights).
        ranks = rng.permutation(n_individuals) + 1
        act = 1.0 / ranks**0.8
        activity = act / act.sum()
        # what ``rng.choice(n, p=activity)`` builds at every call (O(n) each): built once, and
        # drawn the same way (one uniform, searchsorted on the right), so the stream of
        # authors is the same as before, draw for draw
        cdf = activity.cumsum()
        cdf /= cdf[-1]
        self._activity_cdf = cdf
        order = sorted(range(n_individuals), key=lambda i: (-people[i].followers, i))
        self._top = order[: max(1, n_individuals // 50)]

    def individual(self) -> Author:
        return self.individuals[int(self._activity_cdf.searchsorted(self.rng.random(),
                                                                    side="right"))]

    def kol(self) -> Author:
        """A high-follower individual (the top 2% by followers)."""
        top = self._top
        return self.individuals[top[int(self.rng.integers(len(top)))]]

    def official(self, name: str | None = None) -> Author:
        if name:
            for a in self.officials + self.enterprises:
                if a.name == name:
                    return a
        return self.officials[int(self.rng.integers(len(self.officials)))]

    def outlet(self) -> Author:
        return self.media[int(self.rng.integers(len(self.media)))]


def official_names(city: str, incident_type: str, extra: list[str] = ()) -> list[str]:
    """Government accounts for a city; the first ones fit the incident type."""
    by_type = {
        "chemical_explosion": [f"{city}市应急管理局", f"{city}消防救援支队", f"{city}市生态环境局"],
        "flood": [f"{city}市防汛抗旱指挥部", f"{city}市气象局", f"{city}市水利局"],
        "food_safety": [f"{city}市市场监督管理局", f"{city}市卫生健康委员会"],
        "official_rumour": [f"{city}市纪委监委", f"{city}市公安局网安支队"],
        "price_rise": [f"{city}市发展和改革委员会", f"{city}市市场监督管理局"],
        "celebrity_controversy": [f"{city}市文化广电旅游局", "网络文明观察"],
        "official_misconduct": [f"{city}市纪委监委", f"{city}市人民政府办公室"],
        "product_contamination": ["国家市场监督管理总局", "国家卫生健康委员会", f"{city}市市场监督管理局"],
        "values_controversy": [f"{city}市委宣传部", "网络文明观察"],
        "community_dispute": [f"{city}12345政务服务热线", f"{city}市住房和城乡建设局"],
        "severe_weather": [f"{city}市气象局", f"{city}市应急管理局", f"{city}市交通运输局"],
    }
    names = list(extra) + by_type.get(incident_type, []) + [f"{city}发布", f"{city}市公安局", f"{city}市人民政府"]
    out: list[str] = []
    for n in names:
        if n not in out:
            out.append(n)
    return out


def media_names(city: str) -> list[str]:
    return [f"{city}日报", f"{city}晚报", f"{city}广播电视台", "东方快讯", "新锐视点", "第一现场观察", "南方观察新闻",
            "民生热线", "财经观察网"]
