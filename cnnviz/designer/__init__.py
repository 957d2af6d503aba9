"""The network designer: a CNN as a list of layers (``design``), checked layer by layer with the notes' arithmetic
(``check``), built as a ``torch.nn.Module`` (``build``) and counted like every registry model (``analysis``);
templates of the classics (``templates``), the design in a link and as JSON (``link``) and as PyTorch code
(``code``)."""
