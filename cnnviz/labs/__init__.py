"""Concept labs: each number computed twice, by its formula and by building the layers in torch.

One module per lab (``stacking``, ``lrn``, ``bottleneck``, ``gap``, ``output_size``) and their figures. The
receptive-field lab's code is ``cnnviz.analysis.receptive_field``.
"""
