"""Concept labs: each number computed twice, by its formula and by building the layers in torch.

One module per lab; ``rf_geometry`` and ``rf_measure`` hold the machinery behind
``cnnviz.receptive_field``.
"""
