"""The image lab's photo picker: a sample, an upload or the camera. The chosen photo lives in
``st.session_state`` so that every image-lab page works on the same photo; a bad file is one line of
error and the previous photo stays. A sample photo travels in the page's link (``?photo=coffee``); an uploaded
or camera photo cannot, so its link carries no ``photo``.

A bad file's error is kept as (file name, ``ImageError``) and worded when it is drawn: the callbacks that decode
a file run before the page's run has chosen the session's language."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import streamlit as st
from PIL import Image

from cnnviz.i18n import N_, _
from cnnviz.imagelab.images import ACCEPTED_TEXT, MAX_BYTES, ImageError, decode_image, too_large
from cnnviz.imagelab.samples import SAMPLES, sample_bytes
from ui import url_state
from ui.plain import plain

PHOTO_KEY = "image_lab_photo"
SOURCES = {"sample": N_("Sample photo"), "upload": N_("Upload a file"), "camera": N_("Camera")}
CAMERA_NAME = N_("camera photo")  # the name of a photo taken with the camera
# What the session keeps: enough for every model's input, bounded memory per user. 1000, not 1024: a 12-megapixel
# photo (4000x3000, 4032x3024) then decodes at a quarter of its size (libjpeg's DCT scaling), in half the time and a
# quarter of the memory that 1024 needs, which only half size covers.
STORED_SIDE = 1000
PARAM = "photo"
BUSY_TEXT = N_("the server is busy reading other files; try again in a minute")
SHARE_TEXT = N_("your other files are still being read; try again when they are done")
# MB: the photo uploader's transport cap, under the server's (an ONNX model may be larger) and above MAX_BYTES, so that
# a photo over the app's limit still arrives and gets its one-line reason.
UPLOAD_CAP_MB = 64


@dataclass(frozen=True)
class Photo:
    id: str  # digest of the file: caches of predictions are keyed by it
    name: str
    source: str  # a key of SOURCES
    image: Image.Image  # upright RGB, at most STORED_SIDE pixels on its long side


def current_photo() -> Photo:
    """The session's photo; the first sample until the user picks another."""
    if PHOTO_KEY not in st.session_state:
        _store(next(iter(SAMPLES)), sample_bytes(next(iter(SAMPLES))), "sample")
    return st.session_state[PHOTO_KEY]


def pick_photo(page: str) -> Photo:
    """Draw the picker (widget keys prefixed with ``page``) and return the session's photo."""
    sample_key = _bind_sample(page)
    photo = current_photo()
    with st.container(border=True):
        choice, preview = st.columns([3, 1])
        with choice:
            source = st.radio(_("Photo"), list(SOURCES), format_func=lambda k: _(SOURCES[k]), horizontal=True,
                              index=list(SOURCES).index(photo.source), key=f"{page}_photo_source",
                              on_change=_on_source, args=(page,))
            if source == "sample":
                st.selectbox(_("Sample photo (ships with scikit-image / matplotlib)"), list(SAMPLES),
                             format_func=lambda k: _(SAMPLES[k].title), key=sample_key, on_change=_on_sample,
                             args=(page,))
            elif source == "upload":
                # No type filter: a refused type or size is then the app's one-line message, not a browser chip.
                st.file_uploader(_("{formats}, up to {size} MiB").format(formats=_(ACCEPTED_TEXT),
                                                                         size=MAX_BYTES // 2**20),
                                 key=f"{page}_photo_upload", on_change=_on_file, args=(page, "upload"),
                                 max_upload_size=UPLOAD_CAP_MB)
            else:
                st.camera_input(_("Take a photo"), key=f"{page}_photo_camera",
                                on_change=_on_file, args=(page, "camera"))
            if st.session_state.get(f"{page}_photo_error"):
                name, error = st.session_state[f"{page}_photo_error"]
                st.error(plain(f"{_name(name)}: {error.text()}"), icon=":material/broken_image:")
        photo = current_photo()
        with preview:
            named = _(SAMPLES[photo.name].title) if photo.source == "sample" else _name(photo.name)
            st.image(photo.image, width="stretch", alt=_("The photo: {name}").format(name=named))
            shown = SAMPLES[photo.name].source if photo.source == "sample" else plain(_name(photo.name))
            st.caption(_("{photo} · {width}x{height} pixels").format(photo=shown, width=photo.image.width,
                                                                      height=photo.image.height))
    return photo


def _name(name: str) -> str:
    """A file's name as it is, the camera's photo in the session's language."""
    return _(CAMERA_NAME) if name == CAMERA_NAME else name


def _bind_sample(page: str) -> str:
    """The sample select box's key, bound to ``?photo=``. The session's photo is shared by every image-lab page,
    so it, not what this page's box last showed, is the box's value; a sample named by a newly opened link
    becomes the session's photo (a link's value sets the box without running its on_change)."""
    key, first = f"{page}_photo_sample", next(iter(SAMPLES))
    photo = st.session_state.get(PHOTO_KEY)
    # An upload or camera photo cannot travel in a link: the box then shows the first sample, left out of the URL.
    shown = photo.name if photo is not None and photo.source == "sample" else first
    st.session_state[key] = shown
    url_state.bind(PARAM, key, first, choices=SAMPLES, label=lambda sample: _(SAMPLES[sample].title))
    chosen = st.session_state[key]
    if chosen != shown:  # a link named another sample
        _store(chosen, sample_bytes(chosen), "sample", page)
        st.session_state[f"{page}_photo_source"] = "sample"
    return key


def _on_source(page: str) -> None:
    st.session_state[f"{page}_photo_error"] = None
    if st.session_state[f"{page}_photo_source"] == "sample":  # uploads and the camera wait for a file
        name = st.session_state.get(f"{page}_photo_sample") or next(iter(SAMPLES))
        _store(name, sample_bytes(name), "sample", page)


def _on_sample(page: str) -> None:
    name = st.session_state[f"{page}_photo_sample"]
    _store(name, sample_bytes(name), "sample", page)


def _on_file(page: str, source: str) -> None:
    uploaded = st.session_state.get(f"{page}_photo_{source}")
    st.session_state[f"{page}_photo_error"] = None
    if uploaded is None:  # the user removed the file: keep the photo they had
        return
    if uploaded.size > MAX_BYTES:  # refuse before reading it into memory
        st.session_state[f"{page}_photo_error"] = (uploaded.name, too_large(uploaded.size))
        return
    _store(uploaded.name if source == "upload" else CAMERA_NAME, uploaded.getvalue(), source, page)


def _store(name: str, data: bytes, source: str, page: str | None = None) -> None:
    """Decode and keep the photo; on a bad file keep the previous one and remember the one-line error (the file's
    name and the ``ImageError``)."""
    try:
        st.session_state[PHOTO_KEY] = decoded(name, data, source)
    except ImageError as error:
        st.session_state[f"{page}_photo_error"] = (name, error)


def decoded(name: str, data: bytes, source: str = "sample") -> Photo:
    """The photo a session keeps of a file (raises ``ImageError``): the server's warm-up builds the first sample's the
    same way, so that its caches are the ones a visitor's page asks for."""
    if source == "sample":  # the app's own files: decoded here
        image = decode_image(data, longest_side=STORED_SIDE)
    else:  # a user's file: in a limited worker, through the files' queue (``cnnviz.uploads``)
        image = _decode_upload(data)
    return Photo(hashlib.sha256(data).hexdigest()[:16], name, source, image)


def _decode_upload(data: bytes):
    from cnnviz import uploads
    from cnnviz.work_queue import Busy, OverShare
    from ui import cached

    try:
        return uploads.decode_photo(data, longest_side=STORED_SIDE, queue=cached.files_queue())
    except OverShare:
        raise ImageError(SHARE_TEXT) from None
    except Busy:
        raise ImageError(BUSY_TEXT) from None
