"""Image lab: why a network chose a class — six attribution maps, their sanity check, adversarial photos and
what one channel wants to see."""

from ui.first_visit import through_app

through_app()

import streamlit as st
from PIL import Image

from cnnviz.i18n import N_, _
from cnnviz.imagelab import figures
from cnnviz.imagelab.adversarial import ATTACKS, MOST_LEVELS, amplified
from cnnviz.imagelab.attribution import (IG_STEPS, METHODS, MOST_IG_STEPS, OCCLUSION_PATCH, OCCLUSION_STRIDE,
                                         overlay)
from cnnviz.imagelab.attribution_figures import colour_legend, correlation_chart
from cnnviz.imagelab.channel_wants import field_of
from cnnviz.imagelab.inside import default_cam_layer, default_map_layer
from cnnviz.imagelab.predict import DEFAULT_MODEL, Prediction
from cnnviz.imagelab.pretrained import PRETRAINED_TITLES, has_pretrained, missing_weights_message
from cnnviz.imagelab.samples import SAMPLES
from cnnviz.imagelab.sanity import rank_correlation
from ui import cached, linked_tabs, url_state
from ui.cached import attribution as lab
from ui.busy import when_free
from ui.photo import pick_photo

PAGE = "attribution"
TOP_1 = -1  # the class picker's first choice: whatever the photo's top-1 is
TITLES = {"gradcam": N_("Grad-CAM"), "occlusion": N_("Occlusion"), "saliency": N_("Saliency (gradient)"),
          "integrated-gradients": N_("Integrated gradients"), "guided-backprop": N_("Guided backprop"),
          "deconvnet": N_("Deconvnet")}
SLOW = {"occlusion": N_("Sliding the grey patch…"), "integrated-gradients": N_("Integrating the gradients…")}
ATTACK_TITLES = {"fgsm": N_("FGSM (one step)"), "pgd": N_("PGD (ten projected steps)")}

st.title(_("Attribution lab"))
st.write(_("Which pixels made the network choose a class? Six ways to answer on your photo, a check of which "
           "answers depend on what the network learned, photos changed invisibly to change the answer, and what "
           "one channel wants to see."))
photo = pick_photo(PAGE)
names = list(PRETRAINED_TITLES)
name = st.selectbox(_("Network"), names,
                    key=url_state.bind("model", f"{PAGE}_model", DEFAULT_MODEL, choices=names),
                    format_func=lambda n: PRETRAINED_TITLES[n] if has_pretrained(n) else
                    _("{model} (weights not downloaded)").format(model=PRETRAINED_TITLES[n]))
if not has_pretrained(name):
    st.info(missing_weights_message(name), icon=":material/download:")
    st.stop()
inspected, load_error = cached.pretrained_or_random(name)
if load_error:
    st.error(load_error, icon=":material/broken_image:")
    st.stop()
view = inspected.view(photo.image)
probabilities = when_free(lambda: lab.class_probabilities(name, photo.id, view))
if probabilities is None:
    st.stop()
ranked = [int(i) for i in probabilities.argsort()[::-1]]
top5 = ranked[:5]
labels = inspected.categories


def _class_text(index: int) -> str:
    if index == TOP_1:
        return _("Top-1: {label} ({probability})").format(label=labels[ranked[0]],
                                                          probability=f"{probabilities[ranked[0]]:.1%}")
    return f"{labels[index]} ({probabilities[index]:.1%})" if index in top5 else labels[index]


choices = [TOP_1, *top5[1:], *sorted(set(range(len(labels))) - set(top5[1:]))]
chosen = st.selectbox(_("Class to explain (the top five first, then all {count})").format(count=len(labels)),
                      choices, format_func=_class_text,
                      key=url_state.bind("class", f"{PAGE}_class", TOP_1, choices=set(choices)))
target = ranked[0] if chosen == TOP_1 else chosen
cam_layer = default_cam_layer(cached.inspected_layers(name))


def _stepped(low: int, high: int, step: int):
    """A link's value for a slider: a whole number on one of its stops."""
    def parse(raw: str) -> int:
        value = int(raw)
        if not low <= value <= high or (value - low) % step:
            raise url_state.BadValue(raw)
        return value
    return parse


def _map(method: str, picture_id: str, picture: Image.Image, index: int, settings=()):
    text = _(SLOW[method]) if method in SLOW else None
    return when_free(lambda: lab.attribution_map(name, picture_id, picture, index, method, cam_layer, settings,
                                                 _progress_text=text))


def maps() -> None:
    a, b, c = st.columns(3)
    patch = a.slider(_("Occlusion: patch (pixels)"), 16, 112, step=8,
                     key=url_state.bind("patch", f"{PAGE}_patch", OCCLUSION_PATCH, parse=_stepped(16, 112, 8)))
    stride = b.slider(_("Occlusion: stride (pixels)"), 8, 56, step=4,
                      key=url_state.bind("stride", f"{PAGE}_stride", OCCLUSION_STRIDE, parse=_stepped(8, 56, 4)))
    steps = c.slider(_("Integrated gradients: steps"), 16, MOST_IG_STEPS, step=16,
                     key=url_state.bind("steps", f"{PAGE}_steps", IG_STEPS, parse=_stepped(16, MOST_IG_STEPS, 16)))
    st.plotly_chart(colour_legend(), width="stretch", key=f"{PAGE}_legend")
    columns = st.columns(3) + st.columns(3)
    placed = dict(zip(METHODS, columns, strict=True))
    for method in sorted(METHODS, key=lambda m: m in SLOW):  # the quick maps show while the slow ones run
        column = placed[method]
        result = _map(method, photo.id, view, target, lab.method_settings(method, patch, stride, steps))
        if result is None:
            continue
        column.image(overlay(view, result.heatmap), width="stretch", alt=_("{method} map of the class {label} over "
                     "the photo").format(method=_(TITLES[method]), label=labels[target]))
        column.markdown(f"**{_(TITLES[method])}** · {result.seconds:.2f} s")
        column.caption(_explanation(method, result.detail))
    st.caption(_("Each map is scaled on its own to 0..1 and drawn with the one colour scale above. Gradient maps: "
                 "the absolute values of the three colours summed, divided by the map's 99th percentile and clipped "
                 "at 1. Class: {label}. Times: this server, the first time (then cached).").format(
        label=labels[target]))


def _explanation(method: str, detail: dict) -> str:
    if method == "gradcam":
        return _("The last spatial layer's channels (`{layer}`), each weighted by the class score's mean gradient "
                 "over it, summed and rectified: coarse, one value per cell of that layer.").format(**detail)
    if method == "occlusion":
        return _("The drop of the class's probability when a grey {patch}x{patch} patch covers each place "
                 "({positions} positions, stride {stride}): ZFNet's experiment, no gradients.").format(**detail)
    if method == "saliency":
        return _("The gradient of the class score with respect to each pixel: how much a tiny change there moves "
                 "the score.")
    if method == "integrated-gradients":
        return _("The gradient averaged along the path from a black image to the photo, times each pixel's "
                 "change: the attributions should add up to the score's change ({steps} points: {sum} vs "
                 "{difference}).").format(steps=detail["steps"], sum=f"{detail['sum']:.2f}",
                                          difference=f"{detail['difference']:.2f}")
    if method == "guided-backprop":
        return _("The gradient with each ReLU passing back only positive gradients, and only where its input was "
                 "positive: sharp edges (ReLU6 is split into a ReLU and a cap at 6 for this).")
    return _("ZFNet's deconvnet: the backward pass with each ReLU applied to the gradient itself, whatever its "
             "forward input was. Without max-pooling switches to carry the photo back (EfficientNet has none), the "
             "map is mostly the network's own pattern.")


def sanity() -> None:
    st.write(_("Adebayo et al. (2018): randomise the weights block by block from the top and draw the maps again. "
               "A method that explains the network must change once the network knows nothing; one that still "
               "draws the photo explains the photo. Spearman's rank correlation with the trained network's map: 1 is "
               "the same ranking of pixels, 0 none of it."))
    stages = lab.sanity_blocks(name)
    found = []
    for index in range(len(stages)):
        text = _("Redrawing the maps: stage {stage} of {count}…").format(stage=index + 1, count=len(stages))
        result = when_free(lambda i=index, t=text: lab.sanity_stage(name, photo.id, view, target, cam_layer, i,
                                                                   _progress_text=t))
        if result is None:
            return
        found.append(result)
    names = [_("trained")] + [_("down to {block}").format(block=stage.lowest) for stage in stages[1:]]
    correlations = {method: [rank_correlation(found[0][method], maps[method]) for maps in found]
                    for method in METHODS}
    # On the chart's axis, whose title says what the stages are, a stage is named by its block alone: short labels
    # stay level on a phone, where long ones turn on their side over the legend.
    ticks = [names[0], *(stage.lowest for stage in stages[1:])]
    st.plotly_chart(correlation_chart(correlations, ticks, {m: _(TITLES[m]) for m in METHODS}),
                    width="stretch", key=f"{PAGE}_sanity_chart")
    small = view.resize(found[0][METHODS[0]].shape[::-1])
    for column, stage in zip(st.columns(len(found)), names, strict=True):
        column.caption(f"**{stage}**")
    for method in METHODS:
        st.markdown(f"**{_(TITLES[method])}**")
        for column, maps, rho, stage in zip(st.columns(len(found)), found, correlations[method], names, strict=True):
            column.image(overlay(small, maps[method]), width="stretch", caption=f"ρ = {rho:.2f}",
                         alt=_("{method} map, {stage}: rank correlation {rho} with the trained network's").format(
                             method=_(TITLES[method]), stage=stage, rho=f"{rho:.2f}"))
    st.caption(_("Each block's weights are redrawn from a normal distribution with their own mean and spread. "
                 "Coarser settings than the maps tab keep each stage near two seconds: occlusion with a 56-pixel "
                 "patch and stride, integrated gradients with 16 steps."))


def adversarial() -> None:
    a, b = st.columns(2)
    attack = a.radio(_("Attack"), ATTACKS, format_func=lambda k: _(ATTACK_TITLES[k]), horizontal=True,
                     key=url_state.bind("attack", f"{PAGE}_attack", "fgsm", choices=ATTACKS))
    levels = b.slider(_("Epsilon (pixel levels of 255)"), 0, MOST_LEVELS,
                      key=url_state.bind("eps", f"{PAGE}_eps", 2, bounds=(0, MOST_LEVELS)))
    search = when_free(lambda: {"levels": lab.smallest_flip(name, photo.id, view, attack, ranked[0],
                                                            _progress_text=_("Searching the smallest epsilon…"))})
    if search is not None and search["levels"] is not None:
        st.info(_("The smallest epsilon that changes this photo's top-1 ({label}): {levels}/255.").format(
            label=labels[ranked[0]], levels=search["levels"]), icon=":material/target:")
    elif search is not None:
        st.info(_("No epsilon up to {most}/255 changes this photo's top-1.").format(most=MOST_LEVELS))
    result = when_free(lambda: lab.attacked(name, photo.id, view, attack, levels))
    if result is None:
        return
    changed = Image.fromarray(result.picture)
    left, middle, right = st.columns(3)
    captions = (_("The photo, as the network sees it"),
                _("Changed by at most {levels}/255 per pixel and colour").format(levels=levels),
                _("The change, amplified: black -{levels}, grey 0, white +{levels}").format(levels=levels))
    for column, picture, caption in zip((left, middle, right), (view, changed, amplified(result.perturbation, levels)),
                                        captions, strict=True):
        column.image(picture, width="stretch", caption=caption, alt=caption)
    changed_id = f"{photo.id}-{attack}-{levels}"
    for column, picture_id, picture, scores, title in (
            (left, photo.id, view, result.before, _("Before")), (right, changed_id, changed, result.after, _("After"))):
        best = [Prediction(labels[i], float(scores[i]), int(i)) for i in scores.argsort()[::-1][:5]]
        column.plotly_chart(figures.top_k_bars(best, title), width="stretch", key=f"{PAGE}_{title}_top5")
        cam = _map("gradcam", picture_id, picture, best[0].index)
        if cam is not None:
            caption = _("Grad-CAM of {label}").format(label=best[0].label)
            column.image(overlay(picture, cam.heatmap), width="stretch", caption=caption, alt=caption)
    middle.caption(_("FGSM moves every pixel by epsilon in the direction that raises the loss of the top-1 class; "
                     "PGD takes ten smaller steps and projects back into the epsilon box after each. The result is an "
                     "8-bit photo."))


def channel() -> None:
    fields = cached.receptive_fields(name, inspected.preprocessing.crop)
    layers = [layer for layer in cached.inspected_layers(name) if field_of(layer.name, fields) is not None]
    texts = {layer.name: f"{layer.name} · {layer.type} · {'x'.join(map(str, layer.shape))}" for layer in layers}
    a, b = st.columns([3, 1])
    layer = a.selectbox(_("Layer"), list(texts), format_func=texts.get,
                        key=url_state.bind("layer", f"{PAGE}_{name}_layer",
                                           default_map_layer(layers, inspected.preprocessing.crop), choices=texts))
    count = next(found.shape[0] for found in layers if found.name == layer)
    unit = b.number_input(_("Channel"), 0, count - 1,
                          key=url_state.bind("channel", f"{PAGE}_{name}_{layer}_channel", 0, bounds=(0, count - 1)))
    picture = when_free(lambda: lab.channel_picture(name, layer, unit,
                                                    _progress_text=_("Synthesising the picture…")))
    views = {key: inspected.view(cached.sample_photo(key)) for key in SAMPLES}
    if photo.source != "sample":
        views["photo"] = view
    field = field_of(layer, fields)
    patches = when_free(lambda: lab.channel_patches(name, (*SAMPLES, photo.id), views, layer, unit, field))
    if picture is None or patches is None:
        return
    left, right = st.columns([1, 2])
    caption = _("Synthesised to excite channel {channel}").format(channel=unit)
    left.image(picture, width="stretch", caption=caption, alt=caption)
    columns = right.columns(4)
    for index, patch in enumerate(patches):
        source = _(SAMPLES[patch.source].title) if patch.source in SAMPLES else _("your photo")
        columns[index % 4].image(patch.picture, width="stretch", caption=_("{photo} · {activation}").format(
            photo=source, activation=f"{patch.activation:.2f}"), alt=_("The receptive field of channel {channel}'s "
            "most excited unit on {photo}: activation {activation}").format(
            channel=unit, photo=source, activation=f"{patch.activation:.2f}"))
    st.caption(_("Left: a picture optimised to raise the channel's mean activation (Fourier parameters, decorrelated "
                 "colour, random jitter, scale and blur at every step). Right: on each photo, the receptive field "
                 "({height}x{width} pixels) of the channel's most excited unit, strongest first.").format(
        height=field.rf_hw[0], width=field.rf_hw[1]))


TABS = {"maps": N_("Six maps"), "sanity": N_("Sanity check"), "adversarial": N_("Adversarial photo"),
        "channel": N_("What a channel wants")}
linked_tabs.open_tab(f"{PAGE}_tab", TABS, {"maps": maps, "sanity": sanity, "adversarial": adversarial,
                                          "channel": channel})
