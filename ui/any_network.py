"""The "Your network" page: a timm architecture by name or an uploaded ONNX file, with the registry pages' totals,
layer table, layer graph, cost chart and receptive fields, and its place among the classics.

Its caches (``ui.cached.any_network``) are keyed by the timm name and input size or by the ONNX file's sha256 and
input size. An uploaded file stays in the session (``ONNX_KEY``: its ``OnnxFile``, which the image lab reads too);
it cannot travel in a link, so a link to an uploaded network opens the page without it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnnviz.analysis.summary import ACTIVATIONS_DEFINITION
from cnnviz.any_network import NeedsInputSize, Network, NetworkError
from cnnviz.any_network import onnx_file, timm_models
from cnnviz.format import count, megabytes
from cnnviz.i18n import N_, _, current
from ui import cached, graphs, linked_tabs, presenter, url_state
from ui.busy import when_free
from ui.plain import plain

PAGE = "your_network"
ONNX_KEY = "your_network_onnx"  # the session's uploaded ``OnnxFile`` (name, bytes, digest)
ERROR_KEY = "your_network_onnx_error"  # (file name, NetworkError) of a refused upload, worded when drawn
DEFAULT_MODEL = "convnext_tiny"
SOURCES = {"timm": N_("A timm architecture by name"), "onnx": N_("An ONNX file")}
TABS = {"table": N_("Layer table"), "graph": N_("Layer graph"), "cost": N_("Where the cost is"),
        "rf": N_("Receptive field"), "classics": N_("Among the classics")}
NUMBER = st.column_config.NumberColumn(format="localized")


def upload_limit_mib() -> int:
    """What this page takes: the app's limit or the server's upload cap (``server.maxUploadSize`` in
    .streamlit/config.toml, MiB), whichever is lower; the browser refuses larger files before they are sent."""
    return min(onnx_file.MAX_BYTES // 2**20, int(st.get_option("server.maxUploadSize")))


def render() -> None:
    st.title(_("Your network"))
    st.write(_("Any of timm's {count} architectures by name, or an ONNX file of your own: the same totals, layer "
               "table, layer graph, cost chart and receptive fields as the architecture pages, and where the "
               "network sits among the classics.").format(count=f"{len(timm_models.timm_names()):,}"))
    source = st.radio(_("Source"), list(SOURCES), format_func=lambda key: _(SOURCES[key]), horizontal=True,
                      key=url_state.bind("source", f"{PAGE}_source", "timm", choices=SOURCES))
    network, key = _timm_choice() if source == "timm" else _onnx_choice()
    if network is not None:
        _show(network, key)


def _timm_choice() -> tuple[Network | None, tuple]:
    family_column, model_column, size_column = st.columns([2, 3, 1])
    family = family_column.selectbox(_("Family"), list(timm_models.FAMILIES),
                                     format_func=lambda key: _(timm_models.FAMILIES[key]),
                                     key=url_state.bind("family", f"{PAGE}_family", "all",
                                                        choices=timm_models.FAMILIES))
    _unknown_name_in_link()
    every = timm_models.timm_names()
    model_key = url_state.bind("model", f"{PAGE}_model", DEFAULT_MODEL, choices=set(every))
    names = timm_models.timm_names(family)
    chosen = st.session_state[model_key]
    options = list(names) if chosen in names else [chosen, *names]
    name = model_column.selectbox(_("Architecture ({count} in this family; type to search)").format(
        count=f"{len(names):,}"), options, key=model_key)
    default = timm_models.default_input_size(name)
    size = size_column.number_input(_("Input size (pixels)"), min_value=timm_models.SMALLEST,
                                    max_value=timm_models.LARGEST, step=1,
                                    key=url_state.bind("size", f"{PAGE}_{name}_size", default,
                                                       bounds=(timm_models.SMALLEST, timm_models.LARGEST)))
    input_size = None if size == default else int(size)
    st.caption(_("Built from timm's code on the `meta` device, without weights; {size}x{size} is the input size "
                 "timm states for it.").format(size=default))
    try:
        with st.spinner(_("Tracing the model on the `meta` device…"), show_time=True):
            return cached.timm_network(name, input_size), ("timm", name, input_size)
    except NetworkError as error:
        st.error(plain(error.text()), icon=":material/error:")
        return None, ()


def _unknown_name_in_link() -> None:
    """A link naming a model timm does not have: one line with the closest names; the page shows the default."""
    raw = st.query_params.get("model")
    if raw is None or raw in timm_models.timm_names():
        return
    try:
        timm_models.check_name(raw)
    except NetworkError as error:
        st.error(plain(error.text()), icon=":material/link_off:")  # it quotes the link's text
    del st.query_params["model"]


def _on_upload() -> None:
    uploaded = st.session_state.get(f"{PAGE}_upload")
    st.session_state[ERROR_KEY] = None
    if uploaded is None:  # the file was removed: keep the network the session had
        return
    if uploaded.size > onnx_file.MAX_BYTES:  # refused before it is read into memory
        st.session_state[ERROR_KEY] = (uploaded.name, onnx_file.too_large(uploaded.size))
        return
    st.session_state[ONNX_KEY] = onnx_file.OnnxFile(uploaded.name, uploaded.getvalue())


def _onnx_choice() -> tuple[Network | None, tuple]:
    limit = upload_limit_mib()
    # No type filter: a wrong file is then the page's one-line message, not the browser's chip.
    st.file_uploader(_("An ONNX model file (.onnx), up to {limit} MiB").format(limit=limit), key=f"{PAGE}_upload",
                     on_change=_on_upload)
    cap, app = int(st.get_option("server.maxUploadSize")), onnx_file.MAX_BYTES // 2**20
    limit_line = (_("Up to {limit} MiB: this server's upload cap ({cap} MiB, .streamlit/config.toml); the app itself "
                    "reads files up to {app} MiB.").format(limit=limit, cap=cap, app=app) if cap < app else
                  _("Up to {app} MiB.").format(app=app))
    st.caption(limit_line + " " + _("The file is parsed as ONNX (never unpickled) and must hold its own weights: "
                                    "files that point to external data files are refused. It stays in this session "
                                    "only and cannot travel in a link: a shared link opens this page without it."))
    if st.session_state.get(ERROR_KEY):
        name, error = st.session_state[ERROR_KEY]
        st.error(plain(f"{name}: {error.text()}"), icon=":material/error:")
    stored = st.session_state.get(ONNX_KEY)
    if stored is None:
        st.info(_("Upload an ONNX file to see its layers (for instance one written by `torch.onnx.export`)."))
        return None, ()
    name, data, digest = stored.name, stored.data, stored.digest
    if len(data) > onnx_file.MAX_BYTES:
        st.error(plain(f"{name}: {onnx_file.too_large(len(data)).text()}"), icon=":material/error:")
        return None, ()
    input_size = None
    for _attempt in range(2):
        try:
            with st.spinner(_("Reading the ONNX graph and inferring every tensor's shape…"), show_time=True):
                # In a limited worker, through the files' queue: a busy queue is its one line, and no network.
                network = when_free(lambda: cached.onnx_network(digest, input_size, name, data))
            return (network, ("onnx", digest, input_size)) if network is not None else (None, ())
        except NeedsInputSize as error:
            if input_size is not None:
                break
            st.info(plain(f"{name}: {error.text()}"), icon=":material/straighten:")
            input_size = int(st.number_input(_("Input size (pixels)"), min_value=onnx_file.SMALLEST,
                                             max_value=onnx_file.LARGEST, step=1,
                                             key=url_state.bind("size", f"{PAGE}_onnx_size", 224,
                                                                bounds=(onnx_file.SMALLEST, onnx_file.LARGEST))))
        except NetworkError as error:
            st.error(plain(f"{name}: {error.text()}"), icon=":material/error:")
            break
    return None, ()


def _show(network: Network, key: tuple) -> None:
    summary = network.summary
    a, b, c, d = st.columns(4)
    a.metric(_("Parameters"), count(summary.total_params),
             help=_("{params} parameters = {mib} MiB as float32").format(
                 params=f"{summary.total_params:,}", mib=f"{megabytes(summary.total_params):.1f}"))
    b.metric(_("MACs per image"), count(summary.total_macs),
             help=_("{macs} multiply-accumulates in convolutions and matrix products (bias adds not counted)").format(
                 macs=f"{summary.total_macs:,}"))
    c.metric(_("Layer calls"), len(summary.layers))
    d.metric(_("Activations per image"), count(summary.total_activations), help=_(ACTIVATIONS_DEFINITION))
    if network.uncounted:
        st.warning(_("Operators not counted: {ops}. They add 0 MACs to the total, which is therefore a lower "
                     "bound; their rows are flagged in the layer table.").format(
            ops=plain(", ".join(network.uncounted))), icon=":material/warning:")  # the file names its operators
    if network.source == "onnx":
        st.caption(_("From the ONNX graph: one row per operator. Exporters often fold batch norm into the "
                     "convolution before it, which removes its parameters; a matrix product of two activations "
                     "(attention) is counted too."))
    linked_tabs.open_tab(f"{PAGE}_tab", TABS, {
        "table": lambda: _layer_table(network),
        "graph": lambda: _layer_graph(network, key),
        "cost": lambda: st.plotly_chart(cached.network_cost_chart(key, current(), network), width="stretch",
                                        key=f"{PAGE}_cost"),
        "rf": lambda: _receptive_fields(network),
        "classics": lambda: _among_classics(network)})


def _layer_table(network: Network) -> None:
    from cnnviz.analysis.summary import table_records

    summary = network.summary
    records = table_records(summary)
    flagged = set(network.uncounted)
    for record, row in zip(records, summary.layers, strict=True):
        if row.type in flagged:
            record[_("note")] = _("not counted (0 MACs)")
    with presenter.folded(N_("The layer table")):
        st.dataframe(pd.DataFrame(records), hide_index=True, width="stretch", height=420,
                     column_config={_("parameters"): NUMBER, _("MACs"): NUMBER, _("activations"): NUMBER})
    st.markdown(_("**Totals** — {calls} layer calls · {params} parameters · {macs} MACs · {activations} "
                  "activations").format(calls=len(summary.layers), params=f"{summary.total_params:,}",
                                        macs=f"{summary.total_macs:,}",
                                        activations=f"{summary.total_activations:,}"))


def _layer_graph(network: Network, key: tuple) -> None:
    from cnnviz.analysis.graph import blocks

    names = blocks(network.summary)
    everything = st.toggle(_("Unfold every block"), key=url_state.flag("unfold_all", f"{PAGE}_unfold_all"),
                           disabled=not names)
    chosen = () if everything else st.multiselect(
        _("Unfold blocks"), names, key=url_state.several("unfold", f"{PAGE}_{'_'.join(map(str, key))}_unfold", names),
        placeholder=_("Pick blocks to see their layers"))
    if not names:
        st.caption(_("No blocks: the names of the layers do not group them."))
    dot = cached.network_graph_dot(key, True if everything else tuple(chosen), current(), network)
    graphs.chart(dot, width="stretch")
    st.download_button(_("Download DOT"), dot, f"{network.summary.model}.dot", "text/vnd.graphviz",
                       key=f"{PAGE}_dot")


def _receptive_fields(network: Network) -> None:
    if not network.fields:
        st.info(_("The network has no 2-D feature maps that the recursion can follow."))
        return
    from cnnviz.analysis.receptive_field.recursion import last_stage

    try:
        stage = last_stage(network.fields)
        st.markdown(_("Receptive field at the last convolutional stage ({layer}): **{rf} px**, jump {jump} px.").format(
            layer=plain(stage.name), rf=stage.rf, jump=f"{stage.jump:g}"))  # an ONNX file names its layers
    except ValueError:
        pass  # only global pooling: the table below says it all
    table = pd.DataFrame([{_("layer"): f.name, _("type"): f.kind, _("kernel"): f.kernel, _("stride"): f.stride,
                           _("receptive field"): "x".join(map(str, f.rf_hw)) if len(set(f.rf_hw)) > 1 else str(f.rf),
                           _("jump"): f"{f.jump:g}", _("start"): f"{f.start:g}", _("recursion"): _(f.recursion())}
                          for f in network.fields])
    with presenter.folded(N_("Receptive field of every layer")):
        st.dataframe(table, hide_index=True, width="stretch", height=420)
    st.caption(_("The notes' recursion l(k) = l(k−1) + (f(k) − 1)·j(k−1) along the graph; where branches join, the "
                 "field is the widest branch's."))


def _among_classics(network: Network) -> None:
    from cnnviz.any_network.placement import placed_among_classics

    with st.spinner(_("Tracing the torchvision classifiers…")):
        points = cached.compare_accuracy_points()
    summary = network.summary
    st.plotly_chart(placed_among_classics(points, summary.model, summary.total_params, summary.total_macs),
                    width="stretch", key=f"{PAGE}_classics")
    st.caption(_("The compare page's torchvision classifiers, each at its own input size, and this network at "
                 "{size}x{size}: MACs per image against parameters, all computed here.").format(
        size=summary.input_size))


