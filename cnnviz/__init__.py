"""cnnviz: classic convolutional networks as live PyTorch models, every number computed. No Streamlit here.

The subpackages follow the app's navigation:

- ``zoo``: the registry (every architecture and variant as data) and our own model definitions.
- ``analysis``: tracing on the ``meta`` device, the layer table and totals, the layer graph, convolution
  arithmetic, receptive fields (recursion, measurement and the effective field in one place).
- ``lectures``: what the architecture pages teach: stories, the notes' claims and tables checked,
  comparison, recipes, quizzes, the layer walk.
- ``labs``: the concept labs (3x3 stacks, LRN, bottlenecks, 1x1 and GAP, output sizes).
- ``imagelab``: photos: decoding, samples, pretrained weights, prediction, the inference queue, inside a network.
- ``training``: the mini-trainings.
- ``cli``: ``python -m cnnviz`` and its subcommands.
"""
