"""Choosing one unit of one layer, for its receptive field on a photo (the image lab and the receptive-field lab)."""

from __future__ import annotations

from cnnviz.analysis.receptive_field.recursion import LayerRF
from cnnviz.i18n import _
from ui import url_state


def pick_unit(fields: list[LayerRF], input_size: int, key: str, layer_place, row_place, col_place
              ) -> tuple[LayerRF, int, int]:
    """A layer select box and row/column sliders, drawn in the three given containers; keys start with ``key``,
    and the link holds them as ``layer``, ``row`` and ``col``.

    ``fields`` are the layers with a spatial map (global pooling left out); the first choice is the layer whose
    field is closest to a quarter of the input: large enough to see, small enough to place.
    """
    by_name = {f.name: f for f in fields}
    names = list(by_name)
    quarter = min(range(len(fields)), key=lambda i: abs(fields[i].rf - input_size / 4))
    chosen = layer_place.selectbox(_("Layer"), names, key=url_state.bind("layer", f"{key}_layer", names[quarter],
                                                                         choices=names),
                                   format_func=lambda n: _("{name} · {kind} · field {rf} px").format(
                                       name=n, kind=by_name[n].kind, rf=by_name[n].rf))
    field = by_name[chosen]
    rows, cols = field.output_hw
    # A slider needs two values: a map one unit high (or wide) has only unit 0 along that axis.
    row = _unit(row_place, _("Unit row"), "row", rows, f"{key}_{chosen}_row")
    col = _unit(col_place, _("Unit column"), "col", cols, f"{key}_{chosen}_col")
    return field, row, col


def _unit(place, label: str, param: str, count: int, key: str) -> int:
    """The unit's index along one axis of a map ``count`` units long; the middle one at first."""
    if count < 2:
        return 0
    return place.slider(label, 0, count - 1, key=url_state.bind(param, key, count // 2, bounds=(0, count - 1)))
