"""cnnviz's own model definitions: architectures torchvision does not ship, written in its style.

Each module holds one paper's blocks, model and builders; ``cnnviz.zoo.architectures`` imports them by name.
"""
