"""An uploaded ONNX ImageNet classifier in the image lab: recognised by its shapes, its top-5 the same as the torch
model's, and chosen on the image lab's page."""

import pytest
import torch
import torchvision

from cnnviz.any_network.classifier import classifier_input_size, onnx_classifier
from cnnviz.any_network.onnx_file import OnnxFile
from cnnviz.imagelab.predict import IMAGENET_MEAN, IMAGENET_STD, Preprocessing, preprocess, top_k
from cnnviz.imagelab.pretrained import imagenet_categories
from cnnviz.imagelab.samples import SAMPLES, sample_image
from tests.any_network_files import exported, tiny_graph
from tests.conftest import open_link


@pytest.fixture(scope="module")
def resnet18():
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    return model, exported(model, dynamic=True)


def test_only_imagenet_classifiers_are_recognised(resnet18):
    assert classifier_input_size(OnnxFile("r.onnx", resnet18[1])) == 224  # open size: the usual 224
    assert classifier_input_size(OnnxFile("t.onnx", tiny_graph([1, 3, 32, 32]).SerializeToString())) is None
    assert classifier_input_size(OnnxFile("x.onnx", b"not a model")) is None
    with pytest.raises(ValueError, match="not an ImageNet classifier"):
        onnx_classifier(OnnxFile("t.onnx", tiny_graph([1, 3, 32, 32]).SerializeToString()))


def test_top5_is_the_torch_models(resnet18):
    model, data = resnet18
    photo = sample_image(next(iter(SAMPLES)))
    ours = onnx_classifier(OnnxFile("r.onnx", data)).predict(photo)
    with torch.no_grad():
        reference = top_k(model(preprocess(photo, Preprocessing(256, 224, IMAGENET_MEAN, IMAGENET_STD)))[0],
                          imagenet_categories())
    assert [p.index for p in ours] == [p.index for p in reference]
    assert [p.probability for p in ours] == pytest.approx([p.probability for p in reference], abs=1e-5)


def test_the_image_lab_offers_the_uploaded_classifier(resnet18):
    app = open_link("your-network", source="onnx")
    app.file_uploader[0].upload("resnet18.onnx", resnet18[1]).run()
    app.switch_page("pages/image-predictions.py").run()
    choice = app.multiselect(key="image_predict_models")
    assert "resnet18.onnx (your ONNX file)" in choice.options
    choice.set_value(["your_network"]).run()
    assert not app.exception, app.exception
    assert [s.value for s in app.header] == ["resnet18.onnx"] and not app.error
    assert "`None`" not in [m.value for m in app.markdown]  # no call's result is written out by Streamlit's magic
