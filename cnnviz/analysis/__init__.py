"""Any model, analysed on the ``meta`` device: the trace (``tracing``), the layer table and totals
(``summary``), the layer graph (``graph``), convolution arithmetic by formula (``conv_arithmetic``) and by
counting a built module (``counting``), and receptive fields (``receptive_field``)."""
