"""Reading a plain-vs-residual sweep (bundled or live, as dicts): what the page compares and tabulates."""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.i18n import N_

Key = tuple[str, int]  # (kind, depth)


def depths(runs: list[dict]) -> list[int]:
    return sorted({run["depth"] for run in runs})


def by_net(runs: list[dict]) -> dict[Key, dict]:
    return {(run["kind"], run["depth"]): run for run in runs}


def default_overlay(available: list[int]) -> list[int]:
    """The second-shallowest and the deepest net (20 and 56 layers in the bundle, the paper's Figure 1 pair)."""
    return [available[1], available[-1]] if len(available) > 1 else list(available)


@dataclass(frozen=True)
class DepthComparison:
    """Last-epoch training losses of a shallow and the deepest net, plain and residual."""

    shallow: int
    deep: int
    loss: dict[Key, float]

    @property
    def plain_ratio(self) -> float:
        """How many times the deep plain net's loss is the shallow one's (Figure 1's degradation)."""
        return self.loss[("plain", self.deep)] / self.loss[("plain", self.shallow)]

    @property
    def plain_over_residual(self) -> float:
        """At the deepest depth: the plain net's loss over the residual net's, with the very same parameters."""
        return self.loss[("plain", self.deep)] / self.loss[("residual", self.deep)]


def compare_depths(runs: list[dict]) -> DepthComparison:
    """Shallow = the second depth when there are three or more (the shallowest is too small to compare)."""
    available = depths(runs)
    shallow = available[1] if len(available) > 2 else available[0]
    loss = {key: run["train_loss"][-1] for key, run in by_net(runs).items()}
    return DepthComparison(shallow, available[-1], loss)


def table_rows(runs: list[dict]) -> list[dict]:
    """One row per depth: parameters, last loss, last validation error (%) and seconds, plain and residual. The
    column names are marked texts: a page translates them where it shows the table."""
    nets = by_net(runs)
    rows = []
    for depth in depths(runs):
        plain, residual = nets[("plain", depth)], nets[("residual", depth)]
        rows.append({N_("depth"): depth, N_("parameters"): plain["params"],
                     N_("loss: plain"): round(plain["train_loss"][-1], 4),
                     N_("loss: residual"): round(residual["train_loss"][-1], 4),
                     N_("val. error %: plain"): round(100 * plain["val_error"][-1], 1),
                     N_("val. error %: residual"): round(100 * residual["val_error"][-1], 1),
                     N_("seconds: plain"): round(plain["seconds"], 1),
                     N_("seconds: residual"): round(residual["seconds"], 1)})
    return rows


@dataclass(frozen=True)
class FirstSetup:
    """The paper's recipe copied as it is, before the changes that made the miniature work."""

    config: dict
    depths: list[int]
    first_loss: dict[Key, float]
    last_loss: dict[Key, float]
    updates_per_epoch: int

    @property
    def residual_ratio(self) -> float:
        """The deepest residual net's last loss over the shallowest one's."""
        return self.last_loss[("residual", self.depths[-1])] / self.last_loss[("residual", self.depths[0])]

    @property
    def residual_degraded(self) -> bool:
        return self.residual_ratio > 2  # more than twice the loss: beyond what noise between runs explains


def first_setup(first: dict, train_size: int) -> FirstSetup:
    """``first`` is the bundle's ``first_setup`` entry; ``train_size`` the split it trained on."""
    nets = by_net(first["runs"])
    batch = first["config"]["batch_size"]
    return FirstSetup(first["config"], depths(first["runs"]),
                      {key: run["train_loss"][0] for key, run in nets.items()},
                      {key: run["train_loss"][-1] for key, run in nets.items()}, -(-train_size // batch))
