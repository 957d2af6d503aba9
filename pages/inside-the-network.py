"""Image lab: inside a network on a photo — feature maps, first-layer filters, Grad-CAM, receptive field."""

from ui.first_visit import through_app

through_app()

import streamlit as st

from cnnviz.imagelab import figures
from cnnviz.imagelab.inside import (FILTERS_SHOWN, MAPS_SHOWN, cam_overlay, default_cam_layer, default_map_layer,
                                    field_boxes, first_convolution)
from cnnviz.imagelab.predict import crop_box
from cnnviz.imagelab.pretrained import PRETRAINED_TITLES, TORCHVISION_TITLES, has_pretrained
from cnnviz.zoo.registry import model_names
from ui import cached, url_state
from ui.busy import when_free
from ui.photo import pick_photo
from ui.unit_picker import pick_unit

PAGE = "image_inside"

st.title("Inside the network")
st.write("Follow one photo through a network: what each layer's channels respond to, what the first layer's "
         "kernels look like, which part of the photo made the top class win, and which pixels one unit sees.")
photo = pick_photo(PAGE)

names = model_names()
name = st.selectbox("Network", names,
                    key=url_state.bind("model", f"{PAGE}_model", "efficientnet_lite0", choices=names),
                    format_func=lambda n: f"{n} · {'pretrained' if has_pretrained(n) else 'random weights'}")
inspected, load_error = cached.pretrained_or_random(name)
pretrained = inspected.pretrained
if load_error:
    st.error(load_error, icon=":material/broken_image:")
    st.warning(f"**Random weights** (seed 0) instead, until the checkpoint is replaced: the pictures show an "
               f"untrained {name}'s response.", icon=":material/casino:")
elif pretrained:
    st.success(f"{name}: {inspected.weights}.", icon=":material/verified:")
else:
    st.warning(f"**Random weights** (seed 0; no pretrained weights are available for {name}): the pictures show an "
               f"untrained network's response. Pretrained on ImageNet: efficientnet_lite0 (always) and, once their "
               f"files are in the torch cache, {', '.join(TORCHVISION_TITLES)}.",
               icon=":material/casino:")
view = inspected.view(photo.image)
spec = inspected.preprocessing


CHANNEL_STEP, CHANNELS_FIRST = 4, 16  # the slider's stops; a 4x4 grid at first


def _channels(raw: str) -> int:
    """``?channels=24``: a slider stop, from one step to MAPS_SHOWN."""
    count = int(raw)
    if count % CHANNEL_STEP or not CHANNEL_STEP <= count <= MAPS_SHOWN:
        raise url_state.BadValue(raw)
    return count


def feature_maps() -> None:
    layers = cached.inspected_layers(name)
    labels = {layer.name: f"{layer.name} · {layer.type} · {'x'.join(map(str, layer.shape))}" for layer in layers}
    left, right = st.columns([3, 1])
    # ``map``, not ``layer``: the receptive-field tab's unit picker owns ``layer``.
    layer = left.selectbox("Layer (in execution order; output channels x height x width)", list(labels),
                           format_func=labels.get,
                           key=url_state.bind("map", f"{PAGE}_{name}_layer", default_map_layer(layers, spec.crop),
                                              choices=labels))
    count = right.slider("Channels shown", CHANNEL_STEP, MAPS_SHOWN, step=CHANNEL_STEP,
                         key=url_state.bind("channels", f"{PAGE}_channels", CHANNELS_FIRST, parse=_channels))
    maps = when_free(lambda: cached.image_feature_maps(name, pretrained, photo.id, layer, photo.image))
    if maps is not None:
        picture, grid = st.columns([1, 3])
        picture.plotly_chart(figures.picture(view, f"Input: {spec.crop}x{spec.crop}", 300), width="stretch",
                             key=f"{PAGE}_maps_input")
        grid.plotly_chart(figures.feature_grid(maps, count, layer), width="stretch", key=f"{PAGE}_maps")
        st.caption(f"Channels ranked by their mean activation over the {maps.shape[1]}x{maps.shape[2]} map; one "
                   "colour scale for all, so brighter means a stronger response in any panel.")


def first_layer_filters() -> None:
    conv_name, conv = first_convolution(inspected.model)
    st.plotly_chart(cached.image_filter_figure(name, pretrained), width="stretch", key=f"{PAGE}_filters")
    st.caption(f"{conv_name}: {conv.out_channels} kernels of {conv.in_channels}x{conv.kernel_size[0]}x"
               f"{conv.kernel_size[1]} weights (stride {conv.stride[0]}); the first "
               f"{min(FILTERS_SHOWN, conv.out_channels)} shown, each "
               "stretched to its own black-to-white range, so compare patterns, not brightness."
               + ("" if pretrained else " Random weights give noise, not the edges and colour blobs of a "
                  "trained network."))


def grad_cam() -> None:
    if inspected.categories is None:
        st.info("Grad-CAM explains the score of a class, so it needs a pretrained classifier: choose one of "
                f"{', '.join(PRETRAINED_TITLES)} (available weights are marked 'pretrained').")
    else:
        layers = cached.inspected_layers(name)
        spatial = [layer.name for layer in layers if layer.shape[1] > 1]
        target = st.selectbox("Target layer (Grad-CAM's usual choice: the last with a spatial map)", spatial,
                              key=url_state.bind("cam", f"{PAGE}_{name}_cam_layer", default_cam_layer(layers),
                                                 choices=spatial))
        result = when_free(lambda: cached.image_grad_cam(name, photo.id, target, photo.image))
        if result is not None:
            st.latex(r"\alpha_k^c = \frac{1}{HW}\sum_{i,j}\frac{\partial y^c}{\partial A^k_{ij}}, \qquad "
                     r"L^c = \mathrm{ReLU}\Big(\sum_k \alpha_k^c A^k\Big)")
            left, right = st.columns(2)
            left.plotly_chart(figures.picture(view, "Input", 420), width="stretch", key=f"{PAGE}_cam_input")
            right.plotly_chart(figures.picture(cam_overlay(view, result.cam),
                                               f"Grad-CAM of '{result.label}' ({result.probability:.1%})", 420),
                               width="stretch", key=f"{PAGE}_cam")
            h, w = result.cam.shape
            st.caption(f"Top-1 class: {result.label} (ImageNet index {result.class_index}, p = "
                       f"{result.probability:.1%}). Target layer `{result.target_layer}`: its {h}x{w} map, "
                       "enlarged to the input and coloured from blue (0) to red (1 = its maximum): the regions that "
                       "raise this class's score most (computed with torchcam).")


def receptive_field() -> None:
    fields = [f for f in cached.receptive_fields(name, spec.crop) if not f.global_pool]
    if not fields:
        st.info("This network has no convolution or pooling layer to measure.")
    else:
        field, row, col = pick_unit(fields, spec.crop, f"{PAGE}_{name}_rf", *st.columns([2, 1, 1]))
        chosen, (rows, cols) = field.name, field.output_hw
        in_input, on_photo = field_boxes(field, row, col, photo.image.size, spec)

        st.latex(r"l_k = l_{k-1} + (f_k - 1)\prod_{i=1}^{k-1} s_i")
        a, b = st.columns(2)
        a.plotly_chart(figures.receptive_field_figure(
            view, [(in_input, "#e45756", f"unit ({row}, {col})")], f"Model input ({spec.crop}x{spec.crop})"),
            width="stretch", key=f"{PAGE}_rf_input")
        b.plotly_chart(figures.receptive_field_figure(
            photo.image, [(crop_box(photo.image.size, spec), "#4c78a8", "the model's crop"),
                          (on_photo, "#e45756", f"unit ({row}, {col})")], "On the photo"),
            width="stretch", key=f"{PAGE}_rf_photo")
        inside = (in_input[2] - in_input[0], in_input[3] - in_input[1])
        padding = ("" if inside == field.rf_hw[::-1] else
                   f"; only {inside[0]:.0f}x{inside[1]:.0f} of them lie inside the image, the rest is zero padding")
        st.caption(f"`{chosen}` ({field.kind}, {rows}x{cols} units): each unit sees {field.rf_hw[0]}x"
                   f"{field.rf_hw[1]} input pixels, neighbouring units are {field.jump:g} px apart and unit (0, 0) "
                   f"is centred on pixel {field.start:g}. Unit ({row}, {col}) sees input pixels "
                   f"{in_input[1]:.0f}-{in_input[3] - 1:.0f} (rows) x {in_input[0]:.0f}-{in_input[2] - 1:.0f} "
                   f"(columns){padding}.")


# Only the open tab runs: Grad-CAM back-propagates, the filter grid and the feature maps are large figures.
TABS = {"maps": "Feature maps", "filters": "First-layer filters", "gradcam": "Grad-CAM", "field": "Receptive field"}
TAB_IDS = {label: tab for tab, label in TABS.items()}


def _tab(raw: str) -> str:
    if raw not in TABS:
        raise url_state.BadValue(raw)
    return TABS[raw]


tabs = st.tabs(list(TABS.values()), on_change="rerun",
               key=url_state.bind("tab", f"{PAGE}_tab", TABS["maps"], choices=TAB_IDS, parse=_tab, show=TAB_IDS.get))
for tab, section in zip(tabs, (feature_maps, first_layer_filters, grad_cam, receptive_field), strict=True):
    if tab.open:
        with tab:
            section()
