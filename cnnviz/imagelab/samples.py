"""Sample photos that ship inside installed packages (scikit-image, matplotlib): usable offline."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from PIL import Image

from cnnviz.i18n import N_


@dataclass(frozen=True)
class Sample:
    key: str
    title: str  # marked with N_: translate it where it is shown
    package: str  # the installed package that ships the file
    file: str  # its name inside the package's data folder

    @property
    def source(self) -> str:
        return f"{self.package}: {self.file}"


SAMPLES: dict[str, Sample] = {s.key: s for s in (
    Sample("chelsea", N_("Chelsea the cat"), "scikit-image", "chelsea.png"),
    Sample("coffee", N_("A cup of coffee"), "scikit-image", "coffee.png"),
    Sample("rocket", N_("A rocket on the launch pad"), "scikit-image", "rocket.jpg"),
    Sample("astronaut", N_("Astronaut Eileen Collins"), "scikit-image", "astronaut.png"),
    Sample("motorcycle", N_("A motorcycle"), "scikit-image", "motorcycle_left.png"),
    Sample("grace_hopper", N_("Grace Hopper"), "matplotlib", "grace_hopper.jpg"),
)}


def sample_path(key: str) -> Path:
    """Where the installed package keeps the photo (a plain file; nothing is downloaded)."""
    sample = SAMPLES[key]
    if sample.package == "matplotlib":
        import matplotlib.cbook

        return Path(matplotlib.cbook.get_sample_data(sample.file, asfileobj=False))
    return Path(str(resources.files("skimage.data").joinpath(sample.file)))


def sample_bytes(key: str) -> bytes:
    return sample_path(key).read_bytes()


def sample_image(key: str, longest_side: int | None = None) -> Image.Image:
    """The sample as upright RGB, through the same decoder users' uploads go through."""
    from cnnviz.imagelab.images import decode_image

    return decode_image(sample_bytes(key), longest_side=longest_side)
