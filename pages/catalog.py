"""Every page of the app as data: group, file, title, URL and the one line the home page shows."""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.registry import architectures


@dataclass(frozen=True)
class PageEntry:
    path: str  # relative to app.py
    title: str
    url_path: str
    line: str
    icon: str = ":material/article:"


START = [PageEntry("pages/home.py", "Home", "home", "What is here.", ":material/home:")]

# Concept labs: each number computed by formula and measured in torch.
CONCEPT_LABS: list[PageEntry] = []

# Image lab: photos through pretrained networks.
IMAGE_LAB: list[PageEntry] = []

# Mini-trainings: real training on data that ships offline.
MINI_TRAININGS: list[PageEntry] = []


def page_groups() -> dict[str, list[PageEntry]]:
    archs = [PageEntry(f"pages/arch_{key}.py", arch.title, key, f"{arch.year} · {arch.idea.split('. ')[0]}.",
                       ":material/account_tree:")
             for key, arch in architectures().items()]
    groups = {"Start": START, "Architectures": archs, "Concept labs": CONCEPT_LABS, "Image lab": IMAGE_LAB,
              "Mini-trainings": MINI_TRAININGS}
    return {name: entries for name, entries in groups.items() if entries}
