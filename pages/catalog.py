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
    icon: str


def page_groups() -> dict[str, list[PageEntry]]:
    archs = [PageEntry(f"pages/arch_{key}.py", arch.title, key, f"{arch.year} · {arch.idea.split('. ')[0]}.",
                       ":material/account_tree:")
             for key, arch in architectures().items()]
    return {
        "Start": [PageEntry("pages/home.py", "Home", "home", "What is here.", ":material/home:")],
        "Architectures": archs,
    }
