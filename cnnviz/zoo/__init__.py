"""The model zoo: the registry (``registry``: look-ups; ``spec``: what an entry is; ``architectures``: every
entry as data) and the models torchvision does not ship (``models``)."""
