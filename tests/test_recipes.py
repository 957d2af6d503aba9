"""Training recipes: one per architecture, the papers' values, and the notes' differing values really in the notes."""

import re
from dataclasses import fields

import pytest

from cnnviz.lectures.course_notes import notes_text
from cnnviz.lectures.recipes import NOT_STATED, RECIPES, Recipe, recipe_table
from cnnviz.zoo.registry import architectures



def numbers(text: str) -> set[float]:
    """Every number written in a text, as floats ("5e-4" and "0.0005" are the same)."""
    return {float(n) for n in re.findall(r"\d+(?:\.\d+)?(?:e-?\d+)?", text)}


def notes(prefix: str) -> str:
    return notes_text(prefix)


def test_every_architecture_has_a_complete_recipe():
    assert set(RECIPES) == set(architectures())
    for key, recipe in RECIPES.items():
        for field in fields(Recipe):
            value = getattr(recipe, field.name)
            assert isinstance(value, str), (key, field.name)
            assert value or field.name == "notes_disagree", (key, field.name)
        assert recipe.source != NOT_STATED


@pytest.mark.parametrize("key, field, expected", [
    ("alexnet", "batch_size", {128}), ("alexnet", "optimizer", {0.9}), ("alexnet", "weight_decay", {5e-4}),
    ("alexnet", "learning_rate", {0.01}), ("alexnet", "dropout", {0.5}), ("alexnet", "epochs", {90}),
    ("vgg16", "batch_size", {256}), ("vgg16", "learning_rate", {0.01}), ("vgg16", "weight_decay", {5e-4}),
    ("vgg16", "dropout", {0.5}),
    ("resnet50", "weight_decay", {1e-4}), ("resnet50", "learning_rate", {0.1}), ("resnet50", "batch_size", {256}),
    ("googlenet", "schedule", {4, 8}), ("googlenet", "optimizer", {0.9}),
    ("inception_v3", "learning_rate", {0.045}), ("inception_v3", "schedule", {0.94}),
    ("inception_v3", "optimizer", {0.9, 1.0, 2.0, 0.1}), ("inception_v3", "batch_size", {32, 50}),
    ("densenet121", "batch_size", {256}), ("densenet121", "epochs", {90}), ("densenet121", "weight_decay", {1e-4}),
    ("densenet121", "schedule", {10, 30, 60}), ("densenet121", "learning_rate", {0.1}),
    ("mobilenet_v2", "optimizer", {0.9}), ("mobilenet_v2", "weight_decay", {4e-5}),
    ("mobilenet_v2", "learning_rate", {0.045}), ("mobilenet_v2", "schedule", {0.98}),
    ("mobilenet_v2", "batch_size", {96, 16}),
])
def test_papers_values(key, field, expected):
    assert expected <= numbers(getattr(RECIPES[key], field))


def test_named_techniques():
    assert "local response normalisation" in RECIPES["alexnet"].normalisation
    assert "first two fully connected" in RECIPES["vgg16"].dropout
    assert "Nesterov" in RECIPES["densenet121"].optimizer
    assert "RMSProp" in RECIPES["inception_v3"].optimizer and "label smoothing" in RECIPES["inception_v3"].optimizer
    assert "RMSProp" in RECIPES["mobilenet_v2"].optimizer
    assert RECIPES["resnet50"].dropout == "none"


def test_where_the_notes_agree_the_recipe_has_their_numbers():
    """The slides (004) on AlexNet and VGG: batch, learning rate, weight decay and momentum as the papers."""
    slides = notes("004")
    alexnet = slides[slides.index("AlexNet的训练配置"):slides.index("# VGG")]
    vgg = slides[slides.index("VGG的训练"):slides.index("torch.optim.lr_scheduler")]
    for text, key in ((alexnet, "alexnet"), (vgg, "vgg16")):
        recipe = RECIPES[key]
        written = numbers(" ".join((recipe.batch_size, recipe.learning_rate, recipe.weight_decay, recipe.optimizer)))
        assert {n for n in numbers(text) if n in (128, 256, 0.01, 5e-4, 0.9)} <= written


def test_notes_disagreements_quote_what_the_notes_really_say():
    slides, cs231n = notes("004"), notes("001") + notes("002") + notes("003")
    # ResNet: the notes' weight decay is 1e-5, the paper's 1e-4; the warm-up is the CIFAR-10 recipe
    assert "1e-5" in slides and "Weight decay of 1e-5" in cs231n and "weight decay 1e-5" in cs231n
    assert "学习率0.01 来warm up" in slides
    assert {1e-5} <= numbers(RECIPES["resnet50"].notes_disagree) and "CIFAR-10" in RECIPES["resnet50"].notes_disagree
    assert 1e-5 not in numbers(RECIPES["resnet50"].weight_decay)
    # GoogLeNet: batch 256 and lr 0.01 are the slides', not the paper's
    assert "批量大小是256, 初始学习率0.01, 学习率每8个训练周期后衰减0.96" in slides
    assert {256, 0.01, 0.96} <= numbers(RECIPES["googlenet"].notes_disagree)
    assert RECIPES["googlenet"].batch_size == NOT_STATED
    # DenseNet: the slides copy ResNet's training slide
    assert slides.count("ResNet的训练") >= 2 and "与ResNet类似" in slides
    assert {0.01, 1e-5} <= numbers(RECIPES["densenet121"].notes_disagree)


def test_recipe_table_is_side_by_side():
    rows = recipe_table(["alexnet", "resnet50"])
    assert [row[""] for row in rows] == [f.name.replace("_", " ") for f in fields(Recipe)][:-1] + ["the notes say"]
    by_field = {row[""]: row for row in rows}
    assert by_field["weight decay"]["ResNet"] == RECIPES["resnet50"].weight_decay
    assert set(rows[0]) == {"", "AlexNet", "ResNet"}
    assert len(recipe_table()[0]) == len(architectures()) + 1
