"""What the transfer-learning page shows for one model and mode: its stages as table rows, and the PyTorch code
that freezes and replaces the head as chosen. Counts come from ``cnnviz.lectures.transfer_stages``."""

from __future__ import annotations

from cnnviz.i18n import N_, _
from cnnviz.lectures.transfer_stages import Stage, stage_label, typical_features


def stage_rows(stages: list[Stage], freezing: dict, input_size: int) -> list[dict]:
    """One row per stage, the new head last: output, receptive field, parameters, MACs, whether it trains.

    The values are in the session's language; the keys stay English (marked for translation: the page
    translates the column headers when showing them)."""
    encoder_count = len(stages) - 1
    rows = []
    for index, stage in enumerate(stages):
        field, head = stage.receptive_field, stage.name == "head"
        if field is None:
            seen = _("whole image (global pooling)")
        elif field > input_size:
            seen = _("{field} px (more than the image)").format(field=field)
        else:
            seen = f"{field} px"
        rows.append({N_("stage"): f"{index + 1}. {stage_label(stage.name)}", N_("output (CxHxW)"): stage.output,
                     N_("receptive field"): seen,
                     N_("parameters"): freezing["new_head"] if head else stage.params,
                     N_("MACs"): freezing["new_head_macs"] if head else stage.macs,
                     N_("trains"): _("yes") if stage.name in freezing["trainable_stages"] else _("frozen"),
                     N_("typical features"): _(typical_features(stage, index, encoder_count)),
                     N_("modules"): _("new head") if head else ", ".join(stage.units)})
    return rows


def freezing_code(stages: list[Stage], freezing: dict, mode: str, new_classes: int) -> str:
    """The PyTorch lines that set ``requires_grad`` for ``mode`` and put a new head on the model; the comments in
    the session's language."""
    if mode == "all":
        freeze = "# " + _("every parameter keeps requires_grad=True: all of them train") + "\n"
    else:
        freeze = "model.requires_grad_(False)  # " + _("freeze everything") + "\n"
    if mode == "top":
        freeze += "".join(f"model.get_submodule('{unit}').requires_grad_(True)\n" for stage in stages
                          if stage.name in freezing["trainable_stages"] and stage.name != "head"
                          for unit in stage.units)
    old_classes = next(stage for stage in stages if stage.name == "head").output
    replaces = _("a new layer is created trainable; it replaces the {classes}-class head").format(classes=old_classes)
    return (f"{freeze}# {replaces}\n"
            f"model.{freezing['head']} = torch.nn.Linear({freezing['head_in']}, {new_classes})\n"
            "trainable = [p for p in model.parameters() if p.requires_grad]\n"
            "optimizer = torch.optim.SGD(trainable, lr=learning_rate, momentum=0.9)")
