"""Each architecture page's lecture, by the architecture's key (the texts: ``classic``, ``deep``, ``efficient``)."""

from __future__ import annotations

from cnnviz.lectures.classic import CLASSIC
from cnnviz.lectures.deep import DEEP
from cnnviz.lectures.efficient import EFFICIENT
from cnnviz.lectures.spec import Lecture

LECTURES: dict[str, Lecture] = {**CLASSIC, **DEEP, **EFFICIENT}


def lecture(key: str) -> Lecture | None:
    return LECTURES.get(key)
