"""Choosing one unit of one layer, for its receptive field on a photo (the image lab and the receptive-field lab)."""

from __future__ import annotations

from cnnviz.analysis.receptive_field.recursion import LayerRF


def pick_unit(fields: list[LayerRF], input_size: int, key: str, layer_place, row_place, col_place
              ) -> tuple[LayerRF, int, int]:
    """A layer select box and row/column sliders, drawn in the three given containers; keys start with ``key``.

    ``fields`` are the layers with a spatial map (global pooling left out); the first choice is the layer whose
    field is closest to a quarter of the input: large enough to see, small enough to place.
    """
    by_name = {f.name: f for f in fields}
    quarter = min(range(len(fields)), key=lambda i: abs(fields[i].rf - input_size / 4))
    chosen = layer_place.selectbox("Layer", list(by_name), index=quarter, key=f"{key}_layer",
                                   format_func=lambda n: f"{n} · {by_name[n].kind} · field {by_name[n].rf} px")
    field = by_name[chosen]
    rows, cols = field.output_hw
    # A slider needs two values: a map one unit high (or wide) has only unit 0 along that axis.
    row = row_place.slider("Unit row", 0, rows - 1, rows // 2, key=f"{key}_{chosen}_row") if rows > 1 else 0
    col = col_place.slider("Unit column", 0, cols - 1, cols // 2, key=f"{key}_{chosen}_col") if cols > 1 else 0
    return field, row, col
