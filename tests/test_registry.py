"""The registry: every entry builds on meta, is named like torchvision, and carries its story facts."""

import subprocess
import sys

import pytest
import torchvision

from cnnviz.zoo.registry import UnknownModel, architectures, model_names, resolve
from tests.conftest import ROOT

VARIANTS = [v for arch in architectures().values() for v in arch.variants]
REQUIRED = ["lenet5", "alexnet", "zfnet", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg16_bn", "vgg19_bn",
            "nin", "googlenet", "inception_v3", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
            "preact_resnet50", "wide_resnet50_2", "resnext50_32x4d", "densenet121", "densenet169",
            "densenet201", "densenet264", "squeezenet1_0", "squeezenet1_1", "mobilenet_v1", "mobilenet_v2",
            "efficientnet_lite0", "fractalnet40", "conv_autoencoder", "unet", "siamese_net",
            # The Inception family the notes name, and MobileNet v1's Tables 6 (width α) and 7 (input size).
            "bn_inception", "inception_v4", "inception_resnet_v2", "mobilenet_v1_0.75", "mobilenet_v1_0.5",
            "mobilenet_v1_0.25", "mobilenet_v1_192", "mobilenet_v1_160", "mobilenet_v1_128"]


def test_every_required_model_is_registered_once():
    names = model_names()
    assert len(names) == len(set(names)), "duplicate model names"
    missing = [n for n in REQUIRED if n not in names]
    assert not missing, f"not registered: {missing}"


def test_torchvision_names_are_torchvision_builders():
    available = set(torchvision.models.list_models())
    for variant in VARIANTS:
        if variant.torchvision_weights:
            assert variant.name in available, variant.name


@pytest.mark.parametrize("arch", architectures().values(), ids=lambda a: a.key)
def test_entry_has_story_facts(arch):
    assert 1989 <= arch.year <= 2026
    assert arch.paper_url.startswith("http") and arch.paper and arch.authors
    assert len(arch.idea.split()) >= 15, "the key idea needs two or three sentences"
    assert arch.idea.startswith(arch.line) and arch.line.endswith("."), "the home page's line: the idea's first sentence"
    assert arch.key in arch.variant_names or arch.key in {"preact_resnet", "fractalnet", "autoencoder", "siamese"}


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_builds_on_meta_without_weights(variant):
    model = variant.build_on_meta()
    assert all(p.device.type == "meta" for p in model.parameters())


def test_inception_and_mobilenet_families_share_their_pages():
    assert {"bn_inception", "inception_v4", "inception_resnet_v2"} <= set(resolve("inception_v3")[0].variant_names)
    for name in ("mobilenet_v1_0.25", "mobilenet_v1_128"):
        assert resolve(name)[0].key == "mobilenet_v1"
    assert resolve("mobilenet_v1_128")[1].input_size == 128 and resolve("mobilenet_v1_0.25")[1].input_size == 224
    assert resolve("mobilenet_v1")[1].name == "mobilenet_v1", "the page's default stays the paper's baseline"


def test_resolve_by_key_model_name_and_variant():
    assert resolve("vgg16")[1].name == "vgg16"
    assert resolve("vgg16", "vgg19_bn")[1].name == "vgg19_bn"
    assert resolve("resnet152")[0].key == "resnet50"
    with pytest.raises(UnknownModel, match="valid names"):
        resolve("vgg17")
    with pytest.raises(UnknownModel, match="no variant"):
        resolve("vgg16", "resnet50")


def test_the_registry_loads_without_torch_or_plotly():
    """The home page lists the registry while torch loads in the background."""
    code = ("import sys; from cnnviz.zoo.registry import architectures, resolve; architectures(); resolve('alexnet'); "
            "print(sorted(m for m in ('torch', 'plotly') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
