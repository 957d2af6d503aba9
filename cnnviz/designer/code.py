"""A design as a PyTorch file a student can run or paste into an assignment: ``build()`` returns the same module the
designer counts (the same plan, the same expressions; the tests execute the file and compare the counts)."""

from __future__ import annotations

import inspect

from cnnviz.designer.analysis import analyse
from cnnviz.designer.build import Planned, plan
from cnnviz.designer.design import Design
from cnnviz.designer.link import to_link


def _blocks(items: list[Planned]) -> set[str]:
    found = set()
    for item in items:
        if item.block:
            found |= {item.block} | _blocks(item.body) | _blocks(item.shortcut)
            for branch in item.branches:
                found |= _blocks(branch)
    return found


def _sequence(items: list[Planned], indent: int) -> str:
    pad = " " * indent
    lines = []
    for item in items:
        if item.block == "Residual":
            shortcut = f",\n{pad}        {_sequence(item.shortcut, indent + 8)}" if item.shortcut else ""
            value = f"Residual(\n{pad}        {_sequence(item.body, indent + 8)}{shortcut})"
        elif item.block == "Concat":
            value = f"Concat(\n{pad}        {_sequence(item.body, indent + 8)})"
        elif item.block == "Branches":
            value = "Branches(" + ",".join(f"\n{pad}        {_sequence(branch, indent + 8)}"
                                           for branch in item.branches) + ")"
        else:
            value = item.code
        lines.append(f'{pad}    ("{item.name}", {value}),')
    return "nn.Sequential(OrderedDict([\n" + "\n".join(lines) + f"\n{pad}]))"


def pytorch_code(design: Design, weights: str | None = None) -> str:
    """The file's text. The design must run (no blocking mistake). ``weights``: the name of a file of trained
    weights (``weights_bytes``) that the file's ``trained()`` loads."""
    from cnnviz.designer import modules

    report = analyse(design)
    if not report.runs:
        raise ValueError(str(report.problem))
    planned = plan(design)
    used = _blocks(planned)
    classes = "".join("\n\n\n" + inspect.getsource(getattr(modules, name)).rstrip("\n")
                      for name in ("Residual", "Concat", "Branches") if name in used)
    shape = f"{design.channels}, {design.side}, {design.side}"
    loader = "" if weights is None else f'''


def trained(path: str = {weights!r}) -> nn.Sequential:
    """build() holding the weights trained on the designer's page (its weights download)."""
    model = build()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()'''
    return f'''"""A CNN from the cnnviz network designer: input {design.channels}x{design.side}x{design.side}, \
{design.classes} classes.

{report.total_params:,} parameters, {report.total_macs:,} multiply-accumulates per image.
The design's link value: {to_link(design)}
"""

from collections import OrderedDict

import torch
from torch import nn{classes}


def build() -> nn.Sequential:
    return {_sequence(planned, 4)}{loader}


if __name__ == "__main__":
    model = build().eval()
    print(model)
    print("parameters:", sum(p.numel() for p in model.parameters()))
    print("output:", tuple(model(torch.zeros(1, {shape})).shape))
'''


def weights_bytes(model) -> bytes:
    """``model``'s weights as a file ``torch.load`` reads (a state dict), for the exported code's ``trained()``."""
    import io

    import torch

    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getvalue()


def onnx_bytes(design: Design, model=None) -> bytes:
    """The design as an ONNX file (its weights: ``model``'s, trained in the session, else fresh random ones), with
    the batch left open. It opens on "Your network" (and in Netron) with the designer's numbers."""
    import io
    import warnings

    import torch

    from cnnviz.designer.build import build

    model = (model if model is not None else build(design)).eval()
    buffer = io.BytesIO()
    example = torch.zeros(1, design.channels, design.side, design.side)
    with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (example,), buffer, input_names=["image"], output_names=["logits"],
                          dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17,
                          do_constant_folding=False, dynamo=False)  # batch norm kept: its parameters count
    return buffer.getvalue()
