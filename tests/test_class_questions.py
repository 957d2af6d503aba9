"""The class's questions (cnnviz.classroom.questions): from any registry architecture's walk step, from the concept
labs' calculators, the instructor's own; graded with the quiz's named slips, answers checked against torch."""

from __future__ import annotations

import functools

import pytest

from cnnviz.classroom import questions
from cnnviz.i18n import use
from cnnviz.zoo.registry import architectures, resolve


@functools.cache
def _walk(name: str):
    from cnnviz.analysis.receptive_field.recursion import receptive_fields
    from cnnviz.analysis.summary import summary_of
    from cnnviz.lectures.quiz_layers import questions as quiz_questions
    from cnnviz.lectures.stepper import walk_steps

    summary = summary_of(name, None)
    fields = receptive_fields(resolve(name)[1], None)
    return summary, walk_steps(summary, fields), quiz_questions(summary, fields)


@pytest.mark.slow
@pytest.mark.parametrize("key", list(architectures()))
def test_every_architecture_has_walk_steps_with_layer_questions_that_torch_agrees_with(key):
    from cnnviz.lectures.quiz_layers import measure_module, module_of

    variant = architectures()[key].variants[0].name
    summary, steps, asked = _walk(variant)
    found = [(number, layer, title, question) for number, step in enumerate(steps, 1)
             for layer, title, question in questions.step_layers(step, asked)]
    assert found, f"{key}: no walk step has a layer to ask about"
    number, layer, title, question = found[len(found) // 2]
    row = next(r for r in summary.layers if r.name == layer)
    size, params, macs = measure_module(module_of(summary, layer), row.input_shape)
    for ask in questions.asks_of(question):
        spec = questions.from_step(key, variant, number, title, question, ask)
        asked = questions.build(spec)
        measured = {"output": size, "params": params, "macs": macs}.get(ask)
        if measured is not None:
            assert asked.right() == str(measured), f"{key} {layer} {ask}: {asked.right()} vs torch {measured}"
        assert asked.grade(asked.right()) == questions.Grade(True, None)
        assert asked.worked()
        assert title in asked.source() and str(number) in asked.source()


def _layer(ask: str, **layer) -> questions.Asked:
    from cnnviz.lectures.quiz import LayerQuestion

    question = LayerQuestion(**{"in_size": 56, "in_channels": 64, "filters": 128, "kernel": 3, "stride": 2,
                                "padding": 1, "field_in": 11, "jump_in": 4, **layer})
    return questions.build(questions.from_step("vgg16", "vgg16", 5, "CONV3", question, ask))


@pytest.mark.parametrize("ask, given, slip", [
    ("output", (56 - 3) // 2 + 1, "padding"),  # 27: the padding forgotten (28 is right)
    ("output", -(-(56 - 3 + 2) // 2) + 1, "rounding"),  # ceil instead of floor
    ("params", 3 * 3 * 64 * 128, "bias_missing"),
    ("macs", 2 * 28 * 28 * 128 * 3 * 3 * 64, "flops"),
    ("field", 11 + 3 - 1, "jump_missing"),
    ("jump", 2, "jump_added"),
    ("params", 12345, "other"),
])
def test_a_wrong_layer_answer_is_graded_with_the_quizs_named_slip(ask, given, slip):
    use("en")
    asked = _layer(ask)
    grade = asked.grade(str(given))
    assert grade == questions.Grade(False, slip)
    explanation = asked.explanation(str(given))
    assert (explanation is None) == (slip == "other")
    assert questions.slip_name(slip) == questions.SLIP_NAMES[slip]


def test_a_bias_free_layer_names_the_counted_bias_and_groups_are_named():
    assert _layer("params", bias=False).grade(str(3 * 3 * 64 * 128 + 128)).slip == "bias_counted"
    grouped = _layer("params", groups=4)
    assert grouped.grade(str(3 * 3 * 64 * 128 + 128)).slip == "groups"


def test_the_output_size_calculator_question():
    use("en")
    asked = questions.build({"kind": "output_size", "W": 224, "F": 11, "P": 0, "S": 4})  # AlexNet as the paper says
    assert asked.right() == "54"
    assert asked.grade("54").correct and asked.grade("55").slip == "rounding"
    padded = questions.build({"kind": "output_size", "W": 224, "F": 7, "P": 3, "S": 2})
    assert padded.right() == "112" and padded.grade("109").slip == "padding"
    assert "224x224" in " ".join(asked.prompt())


def test_the_bottleneck_question_against_the_labs_torch_count():
    from cnnviz.labs.bottleneck import Conv, chain, counted, weights

    spec = {"kind": "bottleneck", "c_in": 256, "reduce": 64, "c_out": 256, "kernel": 3}
    asked = questions.build(spec)
    convs = [Conv("", 256, 64, 1), Conv("", 64, 256, 3)]
    assert asked.right() == str(weights(convs)) == str(counted(chain(convs), 256, 14)[0])
    assert asked.grade(str(256 * 64 + 3 * 3 * 64 * 256)).slip == "bias_missing"
    assert asked.grade(str(3 * 3 * 256 * 256 + 256)).slip == "no_reduction"
    assert asked.grade(str(3 * 3 * 64 * 256 + 256)).slip == "reduction_missing"
    assert asked.explanation(str(3 * 3 * 64 * 256 + 256))


def test_the_instructors_own_questions_are_plain_text_with_checked_answers():
    number = questions.build({"kind": "number", "text": "  How   many\nlayers? ", "answer": 16, "tolerance": 0.5})
    assert number.prompt() == ["How many layers?"]
    assert number.grade(questions.parse(number.spec, "16.4")).correct
    assert number.grade(questions.parse(number.spec, "17")) == questions.Grade(False, "other")
    choice = questions.build({"kind": "choice", "text": "**bold**", "choices": ["[a](http://x)", "b"], "right": 1})
    assert choice.prompt() == ["**bold**"]  # the page shows it as plain text (ui.plain)
    assert choice.shown("0") == "A. [a](http://x)" and choice.grade("1").correct
    with pytest.raises(questions.Invalid):
        questions.parse(choice.spec, "2")


def test_each_language_gets_the_question_in_its_own_words():
    spec = {"kind": "output_size", "W": 32, "F": 5, "P": 0, "S": 1}
    texts = {}
    for language in ("en", "zh", "ko"):
        use(language)
        texts[language] = " ".join(questions.build(spec).prompt())
    use("en")
    assert len(set(texts.values())) == 3
    assert any("\u4e00" <= ch <= "\u9fff" for ch in texts["zh"])
    assert any("\uac00" <= ch <= "\ud7a3" for ch in texts["ko"])
