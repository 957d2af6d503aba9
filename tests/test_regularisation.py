"""The regularisation lab: dropout's scaling, the AlexNet crop counts, torchvision's ten crops, ensembles."""

import itertools

import pytest
import torch
from torchvision import transforms
from torchvision.transforms import functional as F

from cnnviz.imagelab.samples import sample_image
from cnnviz.labs import regularisation as reg
from tests.conftest import open_page


@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.9])
def test_inverted_dropout_keeps_the_mean_and_scales_survivors(p):
    demo = reg.dropout_on_tensor(p)
    assert demo.zeroed == pytest.approx(p, abs=0.01)
    assert demo.survivor_scale == pytest.approx(1 / (1 - p), rel=1e-9)
    # E[output] = input: within a few standard errors of 100,000 draws
    assert demo.train_mean == pytest.approx(demo.input_mean, abs=0.01 + 0.02 * p)
    assert demo.eval_unchanged


def test_the_dropout_mask_is_drawn_independently_of_the_input():
    # With the same seed for input and mask, the mask drops exactly the inputs above 1: the mean fell to 0.75.
    assert reg.dropout_on_tensor(0.5).train_mean == pytest.approx(1.0, abs=0.01)


def test_alexnet_crop_counts():
    assert reg.paper_augmentation_factor() == 2048  # Krizhevsky et al. 2012, Section 4.1: "a factor of 2048"
    offsets = set()
    square = torch.zeros(3, reg.ALEXNET_RESIZE, reg.ALEXNET_RESIZE)
    torch.manual_seed(0)
    for _ in range(3000):
        top, _, _, _ = transforms.RandomCrop.get_params(square, (reg.ALEXNET_CROP, reg.ALEXNET_CROP))
        offsets.add(top)
    assert reg.distinct_crops() == len(offsets) ** 2 * 2 == 2178


def test_alexnet_crops_come_from_the_central_square_of_the_shorter_side_rescaled_to_256():
    """Krizhevsky et al. 2012, Section 2: the shorter side rescaled to 256, then the central 256x256 patch, so the
    photo is not squashed. Computed here with PIL alone: the scale, then the centred box."""
    from PIL import Image

    photo = sample_image("chelsea").convert("RGB")
    width, height = photo.size
    assert width != height  # a photo that squashing to 256x256 would distort
    short = min(width, height)
    size = (reg.ALEXNET_RESIZE * width // short, reg.ALEXNET_RESIZE * height // short)
    scaled = photo.resize(size, Image.BILINEAR)
    left, top = round((size[0] - reg.ALEXNET_RESIZE) / 2), round((size[1] - reg.ALEXNET_RESIZE) / 2)
    square = scaled.crop((left, top, left + reg.ALEXNET_RESIZE, top + reg.ALEXNET_RESIZE))
    assert torch.equal(F.pil_to_tensor(reg.alexnet_square(photo)), F.pil_to_tensor(square))
    for image, caption in reg.augmented_crops(photo, count=4):
        x, y = map(int, caption.split("(")[1].split(")")[0].split(", "))
        crop = square.crop((x, y, x + reg.ALEXNET_CROP, y + reg.ALEXNET_CROP))
        expected = crop.transpose(Image.FLIP_LEFT_RIGHT) if caption.endswith("mirrored") else crop
        assert torch.equal(F.pil_to_tensor(image), F.pil_to_tensor(expected)), caption


def test_five_crop_boxes_are_torchvisions():
    image = F.resize(sample_image("chelsea"), 256)
    width, height = image.size
    crops = transforms.TenCrop(224)(image)
    for (name, left, top), crop in zip(reg.five_crop_boxes(width, height, 224), crops[:5], strict=True):
        assert list(F.pil_to_tensor(crop).shape) == [3, 224, 224]
        assert torch.equal(F.pil_to_tensor(crop), F.pil_to_tensor(F.crop(image, top, left, 224, 224))), name


def test_ten_crop_prediction_averages_the_crops(lite0_classifier):
    classifier = lite0_classifier
    result = reg.ten_crop_prediction(classifier, sample_image("chelsea"))
    assert len(result.crop_labels) == 10
    # The centre crop (TenCrop's fifth) is the app's own input: the same top-1 as its prediction.
    assert result.centre_label == classifier.predict(sample_image("chelsea"), 1)[0].label
    assert result.averaged_probability >= result.centre_class_averaged
    assert result.averaged_probability <= max(result.crop_probabilities)  # an average never beats its best crop


def test_averaging_independent_classifiers_helps():
    accuracies = reg.ensemble_accuracy()
    assert len(accuracies) == 10
    assert accuracies[-1] > accuracies[0] + 0.2
    assert all(later > earlier - 0.02 for earlier, later in itertools.pairwise(accuracies))


def test_the_page_renders_and_reacts():
    app = open_page("pages/lab-regularisation.py")
    assert [m.value for m in app.metric][:2] == [f"{reg.dropout_on_tensor(0.5).input_mean:.4f}",
                                                 f"{reg.dropout_on_tensor(0.5).train_mean:.4f}"]
    assert any(m.value == "2,048" for m in app.metric) and any(m.value == "2,178" for m in app.metric)
    assert len(app.get("plotly_chart")) == 2  # the ten-crop boxes and the ensemble curve
    app.slider(key="lab_regularisation_p").set_value(0.9).run()
    assert not app.exception
    assert app.metric[3].value == "10"
