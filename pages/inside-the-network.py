"""Image lab: inside a network on a photo — feature maps, first-layer filters, Grad-CAM, receptive field."""

from ui.first_visit import through_app

through_app()

import streamlit as st

from cnnviz import i18n
from cnnviz.i18n import N_, _
from cnnviz.imagelab import figures
from cnnviz.imagelab.inside import (CHANNEL_STEP, CHANNELS_FIRST, FILTERS_SHOWN, MAPS_SHOWN, cam_overlay,
                                    default_cam_layer, default_map_layer, field_boxes, first_convolution)
from cnnviz.imagelab.predict import crop_box
from cnnviz.imagelab.pretrained import PRETRAINED_TITLES, TORCHVISION_TITLES, has_pretrained
from cnnviz.zoo.registry import model_names
from ui import cached, linked_tabs, url_state
from ui.busy import when_free
from ui.photo import pick_photo
from ui.unit_picker import pick_unit

PAGE = "image_inside"

st.title(_("Inside the network"))
st.write(_("Follow one photo through a network: what each layer's channels respond to, what the first layer's "
           "kernels look like, which part of the photo made the top class win, and which pixels one unit sees."))
photo = pick_photo(PAGE)

names = model_names()
name = st.selectbox(_("Network"), names,
                    key=url_state.bind("model", f"{PAGE}_model", "efficientnet_lite0", choices=names),
                    format_func=lambda n: (_("{model} · pretrained") if has_pretrained(n) else
                                           _("{model} · random weights")).format(model=n))
inspected, load_error = cached.pretrained_or_random(name)
pretrained = inspected.pretrained
if load_error:
    st.error(load_error, icon=":material/broken_image:")
    st.warning(_("**Random weights** (seed 0) instead, until the checkpoint is replaced: the pictures show an "
                 "untrained {model}'s response.").format(model=name), icon=":material/casino:")
elif pretrained:
    st.success(_("{model}: pretrained on ImageNet ({file}).").format(model=name, file=inspected.weights_file),
               icon=":material/verified:")
else:
    st.warning(_("**Random weights** (seed 0; no pretrained weights are available for {model}): the pictures show "
                 "an untrained network's response. Pretrained on ImageNet: efficientnet_lite0 (always) and, once "
                 "their files are in the torch cache, {models}.").format(model=name,
                                                                        models=", ".join(TORCHVISION_TITLES)),
               icon=":material/casino:")
view = inspected.view(photo.image)
spec = inspected.preprocessing



def _channels(raw: str) -> int:
    """``?channels=24``: a slider stop, from one step to MAPS_SHOWN."""
    count = int(raw)
    if count % CHANNEL_STEP or not CHANNEL_STEP <= count <= MAPS_SHOWN:
        raise url_state.BadValue(raw)
    return count


def _layers() -> list:
    with st.spinner(_("Listing the layers…")):
        return cached.inspected_layers(name)


def feature_maps() -> None:
    layers = _layers()
    labels = {layer.name: f"{layer.name} · {layer.type} · {'x'.join(map(str, layer.shape))}" for layer in layers}
    left, right = st.columns([3, 1])
    # ``map``, not ``layer``: the receptive-field tab's unit picker owns ``layer``.
    layer = left.selectbox(_("Layer (in execution order; output channels x height x width)"), list(labels),
                           format_func=labels.get,
                           key=url_state.bind("map", f"{PAGE}_{name}_layer", default_map_layer(layers, spec.crop),
                                              choices=labels))
    count = right.slider(_("Channels shown"), CHANNEL_STEP, MAPS_SHOWN, step=CHANNEL_STEP,
                         key=url_state.bind("channels", f"{PAGE}_channels", CHANNELS_FIRST, parse=_channels))
    with st.spinner(_("Running the photo up to that layer…")):
        maps = when_free(lambda: cached.image_feature_maps(name, pretrained, photo.id, layer, photo.image))
    if maps is not None:
        picture, grid = st.columns([1, 3])
        picture.plotly_chart(cached.figure(("model input", name, photo.id), lambda: figures.picture(
            view, _("Input: {crop}x{crop}").format(crop=spec.crop), 300)),
                             width="stretch", key=f"{PAGE}_maps_input")
        grid.plotly_chart(cached.image_feature_grid(name, pretrained, photo.id, layer, count, maps),
                         width="stretch", key=f"{PAGE}_maps")
        st.caption(_("Channels ranked by their mean activation over the {height}x{width} map; one colour scale for "
                     "all, so brighter means a stronger response in any panel.").format(height=maps.shape[1],
                                                                                         width=maps.shape[2]))


def first_layer_filters() -> None:
    conv_name, conv = first_convolution(inspected.model)
    with st.spinner(_("Rendering the kernels…")):
        figure = cached.image_filter_figure(name, pretrained, i18n.current())
    st.plotly_chart(figure, width="stretch", key=f"{PAGE}_filters")
    numbers = dict(layer=conv_name, count=conv.out_channels, channels=conv.in_channels, height=conv.kernel_size[0],
                   width=conv.kernel_size[1], stride=conv.stride[0], shown=min(FILTERS_SHOWN, conv.out_channels))
    if pretrained:
        st.caption(_("{layer}: {count} kernels of {channels}x{height}x{width} weights (stride {stride}); the first "
                     "{shown} shown, each stretched to its own black-to-white range, so compare patterns, not "
                     "brightness.").format(**numbers))
    else:
        st.caption(_("{layer}: {count} kernels of {channels}x{height}x{width} weights (stride {stride}); the first "
                     "{shown} shown, each stretched to its own black-to-white range, so compare patterns, not "
                     "brightness. Random weights give noise, not the edges and colour blobs of a trained "
                     "network.").format(**numbers))


def grad_cam() -> None:
    if inspected.categories is None:
        st.info(_("Grad-CAM explains the score of a class, so it needs a pretrained classifier: choose one of "
                  "{models} (available weights are marked 'pretrained').").format(
            models=", ".join(PRETRAINED_TITLES)))
    else:
        layers = _layers()
        spatial = [layer.name for layer in layers if layer.shape[1] > 1]
        target = st.selectbox(_("Target layer (Grad-CAM's usual choice: the last with a spatial map)"), spatial,
                              key=url_state.bind("cam", f"{PAGE}_{name}_cam_layer", default_cam_layer(layers),
                                                 choices=spatial))
        with st.spinner(_("Back-propagating the top class (Grad-CAM)…")):
            result = when_free(lambda: cached.image_grad_cam(name, photo.id, target, photo.image))
        if result is not None:
            st.latex(r"\alpha_k^c = \frac{1}{HW}\sum_{i,j}\frac{\partial y^c}{\partial A^k_{ij}}, \qquad "
                     r"L^c = \mathrm{ReLU}\Big(\sum_k \alpha_k^c A^k\Big)")
            left, right = st.columns(2)
            left.plotly_chart(figures.picture(view, _("Input"), 420), width="stretch", key=f"{PAGE}_cam_input")
            right.plotly_chart(figures.picture(cam_overlay(view, result.cam),
                                               _("Grad-CAM of '{label}' ({probability})").format(
                                                   label=result.label, probability=f"{result.probability:.1%}"),
                                               420),
                               width="stretch", key=f"{PAGE}_cam")
            h, w = result.cam.shape
            st.caption(_("Top-1 class: {label} (ImageNet index {index}, p = {probability}). Target layer `{layer}`: "
                         "its {height}x{width} map, enlarged to the input and coloured from dark purple (0) to yellow "
                         "(1 = its maximum): the regions that raise this class's score most (computed with "
                         "torchcam).").format(
                label=result.label, index=result.class_index, probability=f"{result.probability:.1%}",
                layer=result.target_layer, height=h, width=w))


def receptive_field() -> None:
    fields = [f for f in cached.receptive_fields(name, spec.crop) if not f.global_pool]
    if not fields:
        st.info(_("This network has no convolution or pooling layer to measure."))
    else:
        field, row, col = pick_unit(fields, spec.crop, f"{PAGE}_{name}_rf", *st.columns([2, 1, 1]))
        chosen, (rows, cols) = field.name, field.output_hw
        in_input, on_photo = field_boxes(field, row, col, photo.image.size, spec)

        st.latex(r"l_k = l_{k-1} + (f_k - 1)\prod_{i=1}^{k-1} s_i")
        a, b = st.columns(2)
        unit = _("unit ({row}, {col})").format(row=row, col=col)
        a.plotly_chart(figures.receptive_field_figure(
            view, [(in_input, "#e45756", unit)], _("Model input ({crop}x{crop})").format(crop=spec.crop)),
            width="stretch", key=f"{PAGE}_rf_input")
        b.plotly_chart(figures.receptive_field_figure(
            photo.image, [(crop_box(photo.image.size, spec), "#4c78a8", _("the model's crop"), "dash"),
                          (on_photo, "#e45756", unit)], _("On the photo")),
            width="stretch", key=f"{PAGE}_rf_photo")
        inside = (in_input[2] - in_input[0], in_input[3] - in_input[1])
        numbers = dict(layer=chosen, kind=field.kind, rows=rows, cols=cols, field_h=field.rf_hw[0],
                       field_w=field.rf_hw[1], jump=f"{field.jump:g}", start=f"{field.start:g}", row=row, col=col,
                       top=f"{in_input[1]:.0f}", bottom=f"{in_input[3] - 1:.0f}", left=f"{in_input[0]:.0f}",
                       right=f"{in_input[2] - 1:.0f}", inside_w=f"{inside[0]:.0f}", inside_h=f"{inside[1]:.0f}")
        if inside == field.rf_hw[::-1]:
            st.caption(_("`{layer}` ({kind}, {rows}x{cols} units): each unit sees {field_h}x{field_w} input pixels, "
                         "neighbouring units are {jump} px apart and unit (0, 0) is centred on pixel {start}. Unit "
                         "({row}, {col}) sees input pixels {top}-{bottom} (rows) x {left}-{right} (columns)."
                         ).format(**numbers))
        else:
            st.caption(_("`{layer}` ({kind}, {rows}x{cols} units): each unit sees {field_h}x{field_w} input pixels, "
                         "neighbouring units are {jump} px apart and unit (0, 0) is centred on pixel {start}. Unit "
                         "({row}, {col}) sees input pixels {top}-{bottom} (rows) x {left}-{right} (columns); only "
                         "{inside_w}x{inside_h} of them lie inside the image, the rest is zero padding."
                         ).format(**numbers))


# Only the open tab runs: Grad-CAM back-propagates, the filter grid and the feature maps are large figures.
TABS = {"maps": N_("Feature maps"), "filters": N_("First-layer filters"), "gradcam": N_("Grad-CAM"),
        "field": N_("Receptive field")}
linked_tabs.open_tab(f"{PAGE}_tab", TABS, {"maps": feature_maps, "filters": first_layer_filters,
                                          "gradcam": grad_cam, "field": receptive_field})
