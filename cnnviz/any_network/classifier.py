"""An uploaded ONNX file that is an ImageNet classifier (one image in, 1,000 scores out) predicts the photo's top-k
through ONNX Runtime, with the image lab's preprocessing: ImageNet mean and std, the short side resized to
256/224 of the model's input size, the central crop (``cnnviz.imagelab.predict.preprocess``)."""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.any_network.onnx_file import OnnxFile, fixed_shapes, graph_inputs, open_dimensions, parse
from cnnviz.imagelab.predict import IMAGENET_MEAN, IMAGENET_STD, Prediction, Preprocessing, preprocess, top_k

IMAGENET_CLASSES = 1000
OPEN_SIZE = 224  # the crop for a file that leaves its input's size open


def classifier_input_size(file: OnnxFile) -> int | None:
    """The square input size if ``file`` is an ImageNet classifier (one (1, 3, S, S) input, one output of 1,000
    values), else None. A file that cannot be read is no classifier."""
    from cnnviz.any_network import NetworkError

    try:
        model = parse(file)
        inputs, outputs = graph_inputs(model), list(model.graph.output)
        if len(inputs) != 1 or len(outputs) != 1:
            return None
        shape = fixed_shapes(model, OPEN_SIZE if open_dimensions(model) else None)[0]
    except NetworkError:
        return None
    scores = [d.dim_value for d in outputs[0].type.tensor_type.shape.dim]
    if len(shape) != 4 or shape[1] != 3 or shape[2] != shape[3] or scores[-1:] != [IMAGENET_CLASSES]:
        return None
    return shape[2]


@dataclass
class OnnxClassifier:
    title: str
    preprocessing: Preprocessing
    session: object  # onnxruntime.InferenceSession, thread-safe for run()
    categories: tuple[str, ...]

    def predict(self, image, k: int = 5) -> list[Prediction]:
        import torch

        batch = preprocess(image, self.preprocessing).contiguous().numpy()
        name = self.session.get_inputs()[0].name
        logits = self.session.run(None, {name: batch})[0]
        return top_k(torch.from_numpy(logits[0]), self.categories, k)


def preprocessing_for(size: int) -> Preprocessing:
    """The image lab's preprocessing for a classifier of ``size`` x ``size`` pixels."""
    return Preprocessing(round(size * 256 / 224), size, IMAGENET_MEAN, IMAGENET_STD)


@dataclass(frozen=True)
class UploadedClassifier:
    """What the image lab shows of an uploaded classifier; its predictions run in a limited worker
    (``cnnviz.uploads.onnx_predictions``), never in the server."""

    file: OnnxFile
    preprocessing: Preprocessing

    @classmethod
    def of(cls, file: OnnxFile, size: int) -> UploadedClassifier:
        return cls(file, preprocessing_for(size))

    @property
    def title(self) -> str:
        return self.file.name


def onnx_classifier(file: OnnxFile, threads: int = 1) -> OnnxClassifier:
    """The predictor of a file ``classifier_input_size`` accepts (a ``ValueError`` for any other). The file is
    checked (``parse``: no external data) before ONNX Runtime sees its bytes."""
    import onnxruntime

    from cnnviz.imagelab.pretrained import imagenet_categories

    size = classifier_input_size(file)
    if size is None:
        raise ValueError(f"{file.name} is not an ImageNet classifier (one 3xSxS image in, 1,000 scores out)")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    options.log_severity_level = 3  # errors only: the model's own warnings are not the user's
    session = onnxruntime.InferenceSession(file.data, options, providers=["CPUExecutionProvider"])
    return OnnxClassifier(file.name, preprocessing_for(size), session, imagenet_categories())
