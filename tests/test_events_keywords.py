"""Keywords belong to the event whose posts carry them, whatever the events' sizes."""

from __future__ import annotations

import numpy as np

from workbench.events.topics import represent


def test_keywords_follow_labels_when_bertopic_renumbers_topics_by_size():
    # label 0 is the smallest group: BERTopic renumbers topics largest-first after fitting
    small = ["化工厂爆炸事故造成人员伤亡", "化工厂爆炸现场浓烟滚滚", "港区化工厂爆炸伤员送医"]
    large = [f"今天的螺蛳粉真好吃第{i}次回购" for i in range(8)] + ["螺蛳粉店排队打卡"] * 2
    middle = [f"地铁早高峰太挤了第{i}天" for i in range(6)]
    docs = small + large + middle
    labels = np.array([0] * len(small) + [1] * len(large) + [2] * len(middle))
    words = represent(docs, labels, np.zeros((len(docs), 1), dtype=np.float32))
    assert "爆炸" in words[0] and "螺蛳" not in words[0]
    assert "螺蛳" in words[1] and "爆炸" not in words[1]
    assert "地铁" in words[2]
