"""The live class's pages (/class): start a class, the projector's view of a room, a student's phone view, and
follow mode (the phones show the page and step the instructor's walk is on).

    /class                      start a class, or join one by its code
    /class?room=CODE            a student's view of the room (the join link and its QR code)
    /class?room=CODE&key=KEY    the instructor's view: the private link, to reopen the room on another machine

The views refresh with ``st.fragment(run_every=...)`` that reads one number of the room (``rooms.version``); only
when it changed is more read. A phone lands on what changed last: a new question (or its closing, or its answer),
else the projector's new step (``ui.scroll``). What the room holds is drawn from ``cnnviz.classroom``.

A database that cannot be reached for a moment (a restart) is a "reconnecting" line, never an error box: a page that
could not be drawn tries again every few seconds and is drawn again once the database answers, and an answer sent
meanwhile is kept and sent then.
"""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import quote

import streamlit as st

from cnnviz.classroom import questions, rooms
from cnnviz.classroom.store import StoreUnavailable
from cnnviz.i18n import N_, _, current
from ui import presenter, scroll, share
from ui.plain import plain

ROOM, KEY = "room", "key"  # the link's parameters
PROJECTOR_EVERY_S, PHONE_EVERY_S = 1.0, 2.0  # the live views' refresh
FOLLOW = "class_follow"  # session: publish this session's walk steps to its room
HELD = "class_held"  # session: (code, key) of the room this session teaches
QUESTION_PART, FOLLOWED_PART = "class_question", "class_followed"  # a phone's parts that it scrolls to
PENDING = "class_pending"  # session: (code, question id, value) of an answer sent while the database was away
SOURCES = {"step": N_("A walk step"), "output_size": N_("Output-size calculator"),
           "bottleneck": N_("Bottleneck weights"), "own": N_("Your own question")}
ASK_TITLES = {"output": N_("output width"), "params": N_("parameters"), "macs": N_("MACs"),
              "field": N_("receptive field"), "jump": N_("jump")}


def render() -> None:
    st.title(_("Live class"))
    code = rooms.normal_code(st.query_params.get(ROOM))
    raw = st.query_params.get(ROOM)
    if raw is not None and code is None:
        st.warning(_("This link's room code is not one: codes are six letters and digits."),
                   icon=":material/link_off:")
    held = st.session_state.get(HELD)
    if raw is None and held and rooms_open(held[0]):  # back from an architecture page: the room this tab teaches
        code, st.query_params[ROOM], st.query_params[KEY] = held[0], held[0], held[1]
    try:
        if code is None:
            _start_or_join()
        elif (key := st.query_params.get(KEY)) is not None:
            if rooms.is_instructor(code, key):
                st.session_state[HELD] = (code, key)
                _instructor(code, key)
            else:
                st.error(_("This instructor link does not open room {code}: it has ended, expired, or the link "
                           "is not its own.").format(code=code), icon=":material/lock:")
        else:
            _student(code)
    except StoreUnavailable:
        _reconnecting()
        if st.session_state.get(PENDING):
            st.caption(_("Your answer is kept: it is sent as soon as the class is back."))
        _until_reconnected(code)
    except rooms.ClassError as error:
        st.warning(error.text(), icon=":material/info:")


def rooms_open(code: str) -> bool:
    try:
        return rooms.version(code) is not None
    except StoreUnavailable:
        return True  # shown as reconnecting below


def _reconnecting() -> None:
    st.info(_("Reconnecting to the class…"), icon=":material/sync:")


@st.fragment(run_every=PHONE_EVERY_S)
def _until_reconnected(code: str | None) -> None:
    """A run that could not reach the database drew only the "reconnecting" line: this asks again every few seconds
    and draws the whole page again once the database answers."""
    try:
        rooms.version(code or "")
    except StoreUnavailable:
        return
    st.rerun()


# --- start or join -----------------------------------------------------------------------------------------------

def _start_or_join() -> None:
    left, right = st.columns(2)
    with left:
        st.header(_("Start a class"))
        st.write(_("You get a room code, a join link with a QR code for the projector, and a private instructor "
                   "link. The students answer on their phones; the projector shows what the room got wrong."))
        if st.button(_("Start a class"), type="primary", icon=":material/co_present:", key="class_start"):
            try:
                started = rooms.start_class(_owner())
            except StoreUnavailable:
                _reconnecting()
                return
            except rooms.ClassError as error:
                st.warning(error.text())
                return
            st.session_state[HELD] = (started.code, started.key)
            st.query_params[ROOM] = started.code
            st.query_params[KEY] = started.key
            st.rerun()
    with right:
        st.header(_("Join a class"))
        with st.form("class_join", border=False):
            typed = st.text_input(_("Room code"), max_chars=12, placeholder="HK3 7PQ", key="class_code")
            if st.form_submit_button(_("Join"), icon=":material/login:"):
                code = rooms.normal_code(typed)
                if code is None:
                    st.warning(_("A room code is six letters and digits, as the projector shows it."))
                else:
                    st.query_params[ROOM] = code
                    st.rerun()


def _owner() -> str:
    """Who this browser is (``ui.session``), else this session: a new random id kept for it."""
    from ui.session import session_owner

    owner = session_owner()
    if owner is None or owner.startswith("session "):
        owner = st.session_state.setdefault("class_browser", "session " + secrets.token_hex(8))
    return owner


def _base_link() -> str:
    return (st.context.url or "").split("?", 1)[0]


def join_link(code: str) -> str:
    return f"{_base_link()}?{ROOM}={code}"


# --- the instructor ----------------------------------------------------------------------------------------------

def _instructor(code: str, key: str) -> None:
    big = presenter.presenting()
    link = join_link(code)
    qr, words = st.columns([2, 3] if big else [1, 3])
    qr.image(share.qr_png(link, scale=10 if big else 6), width="stretch", alt=share.qr_text(link))
    with words:
        room = _("Room")
        st.markdown(f"## {room} `{code}`")
        st.markdown(_("Join at {link}").format(link=plain(link)))
        with st.expander(_("Instructor link (keep it private)"), icon=":material/key:"):
            st.write(_("This link opens the room as its instructor on any machine: it holds the key that asks, "
                       "reveals and ends. Share the join link, never this one."))
            st.code(f"{link}&{KEY}={quote(key)}", language=None, wrap_lines=True)
        # Kept outside the widget's own state, which Streamlit drops on a page without the widget (the walk's).
        st.toggle(_("Phones follow my walk"), value=bool(st.session_state.get(FOLLOW)), key="class_follow_toggle",
                  on_change=lambda: st.session_state.update({FOLLOW: st.session_state["class_follow_toggle"]}),
                  help=_("While on, the students' phones show the architecture page and walk step you are on in "
                         "this browser tab."))
    _live_projector(code, key)
    with st.expander(_("Ask a question"), expanded=True, icon=":material/quiz:"):
        _composer(code, key)


@st.fragment(run_every=PROJECTOR_EVERY_S)
def _live_projector(code: str, key: str) -> None:
    try:
        polled = rooms.version(code)
        cached = st.session_state.get("class_projector")
        if polled is None:
            st.warning(_("This class has ended."), icon=":material/door_front:")
            return
        if cached is None or cached.version != polled[0]:
            cached = st.session_state["class_projector"] = rooms.projector(code, key)
    except StoreUnavailable:
        _reconnecting()
        cached = st.session_state.get("class_projector")
        if cached is None:
            return
    _projector_view(code, key, cached)


def _projector_view(code: str, key: str, view: rooms.ProjectorView) -> None:
    joined, answered = st.columns(2)
    joined.metric(_("Joined"), view.joined)
    answered.metric(_("Answered"), view.answered)
    if view.spec is None:
        st.info(_("No question yet: ask one below."), icon=":material/hourglass_empty:")
        return
    asked = questions.build(view.spec)
    heading = _("Question {number}").format(number=view.position)
    if source := asked.source():
        heading += f" · {source}"
    st.markdown(f"### {plain(heading)}")
    _prompt(asked, big=True)
    state = {rooms.OPEN: _("Open: answers are coming in."), rooms.CLOSED: _("Closed: no more answers."),
             rooms.REVEALED: _("Revealed.")}[view.state]
    st.caption(state)
    if view.tallies:
        _histogram(asked, view)
    buttons = st.container(horizontal=True)
    if view.state == rooms.OPEN:
        buttons.button(_("Close answers"), icon=":material/lock:", key="class_close",
                       on_click=_act, args=(rooms.close, code, key))
    if view.state != rooms.REVEALED:
        buttons.button(_("Reveal"), type="primary", icon=":material/visibility:", key="class_reveal",
                       on_click=_act, args=(rooms.reveal, code, key))
    if view.state == rooms.REVEALED:
        _reveal(asked, view)
    _results_and_end(code, key, buttons)


def _act(action, code: str, key: str) -> None:
    try:
        action(code, key)
        st.session_state.pop("class_projector", None)
    except StoreUnavailable:
        st.toast(_("Reconnecting to the class…"))
    except rooms.ClassError as error:
        st.toast(error.text())


def _histogram(asked: questions.Asked, view: rooms.ProjectorView) -> None:
    import plotly.graph_objects as go

    revealed = view.state == rooms.REVEALED
    tallies = sorted(view.tallies, key=lambda t: (_sort_key(t.value), t.value))
    colours = [("#2e7d32" if t.correct else "#ef6c00") if revealed else "#1565c0" for t in tallies]
    figure = go.Figure(go.Bar(x=[asked.shown(t.value) for t in tallies], y=[t.count for t in tallies],
                              marker_color=colours, text=[t.count for t in tallies], textposition="outside"))
    figure.update_layout(height=300 if presenter.presenting() else 240, margin=dict(l=10, r=10, t=10, b=10),
                         xaxis=dict(type="category", title=_("answer")), yaxis=dict(title=_("students")),
                         font=dict(size=20 if presenter.presenting() else 14))
    st.plotly_chart(figure, width="stretch", key="class_histogram", config={"displayModeBar": False})


def _sort_key(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return float("inf")


def slip_line(view: rooms.ProjectorView) -> str:
    """"14 forgot the padding · 5 counted the bias": the wrong answers by named slip."""
    return " · ".join(_("{count} {slip}").format(count=count, slip=questions.slip_name(slip))
                      for slip, count in view.slips())


def _reveal(asked: questions.Asked, view: rooms.ProjectorView) -> None:
    st.success(_("Right answer: {answer} ({right} of {answered} right)").format(
        answer=plain(asked.shown(asked.right())), right=view.right, answered=view.answered),
        icon=":material/check:")
    if line := slip_line(view):
        st.markdown(f"#### {plain(line)}")
    if worked := asked.worked():
        st.latex(worked)


def _results_and_end(code: str, key: str, buttons) -> None:
    version = getattr(st.session_state.get("class_projector"), "version", None)
    kept = st.session_state.get("class_results")
    results = kept[1] if kept and kept[0] == (code, version) else None
    if results is None:
        try:
            results = rooms.results_csv(code, key)
            st.session_state["class_results"] = ((code, version), results)
        except (StoreUnavailable, rooms.ClassError):
            results = None
    if results is not None:
        buttons.download_button(_("Results (CSV)"), results, file_name=f"class-{code}.csv", mime="text/csv",
                                icon=":material/download:", key="class_csv", on_click="ignore")
    with buttons.popover(_("End class"), icon=":material/stop_circle:"):
        st.write(_("Ending deletes every answer of this class, and its code opens nothing any more. Download the "
                   "results first."))
        if st.button(_("End class now"), type="primary", key="class_end"):
            _act(rooms.end, code, key)
            st.session_state.pop(HELD, None)
            st.rerun()


# --- the question composer -----------------------------------------------------------------------------------------

def _composer(code: str, key: str) -> None:
    source = st.segmented_control(_("Question from"), list(SOURCES), format_func=lambda s: _(SOURCES[s]),
                                  default="step", key="class_source") or "step"
    spec = {"step": _step_spec, "output_size": _output_size_spec, "bottleneck": _bottleneck_spec,
            "own": _own_spec}[source]()
    if spec is None:
        return
    if st.button(_("Ask the room"), type="primary", icon=":material/send:", key="class_ask"):
        try:
            rooms.ask(code, key, spec)
            st.session_state.pop("class_projector", None)
            st.rerun()
        except StoreUnavailable:
            _reconnecting()
        except rooms.ClassError as error:
            st.warning(error.text())


def _step_spec() -> dict | None:
    from cnnviz.lectures.quiz_layers import questions as quiz_questions
    from cnnviz.zoo.registry import architectures
    from ui import cached

    archs = architectures()
    followed = st.session_state.get("class_followed") or {}
    names = list(archs)
    first, second, third = st.columns(3)
    arch_key = first.selectbox(_("Architecture"), names, format_func=lambda k: _(archs[k].title),
                               index=names.index(followed["page"]) if followed.get("page") in archs else 0,
                               key="class_arch")
    variants = [v.name for v in archs[arch_key].variants]
    variant = second.selectbox(_("Variant"), variants, key=f"class_variant_{arch_key}",
                               index=variants.index(followed["variant"]) if followed.get("variant") in variants else 0)
    steps = cached.walk_steps(variant, None, current())
    summary = cached.summary(variant, None)
    asked = quiz_questions(summary, cached.receptive_fields(variant))
    numbered = [(n, step) for n, step in enumerate(steps, 1) if questions.step_layers(step, asked)]
    if not numbered:
        st.info(_("No step of this model has a layer to ask about."))
        return None
    numbers = [n for n, _step in numbered]
    wanted = followed.get("step") if followed.get("variant") == variant else None
    number = third.selectbox(_("Step"), numbers, format_func=lambda n: f"{n} · {steps[n - 1].title}",
                             index=numbers.index(wanted) if wanted in numbers else 0, key=f"class_step_{variant}")
    layers = questions.step_layers(steps[number - 1], asked)
    left, right = st.columns(2)
    index = left.selectbox(_("Layer"), range(len(layers)), format_func=lambda i: layers[i][1],
                           key=f"class_layer_{variant}_{number}")
    _layer, title, question = layers[index]
    asks = questions.asks_of(question)
    ask = right.selectbox(_("Ask for"), asks, format_func=lambda a: _(ASK_TITLES[a]), key="class_ask_for")
    spec = questions.from_step(arch_key, variant, number, title, question, ask)
    st.caption(_("The room will see:"))
    _prompt(questions.build(spec))
    return spec


def _output_size_spec() -> dict | None:
    columns = st.columns(4)
    values = {name: columns[i].number_input(name, min_value=low, max_value=high, value=default, step=1,
                                            key=f"class_os_{name}")
              for i, (name, low, high, default) in enumerate((("W", 1, questions.SIZE_MAX, 224), ("F", 1, 64, 7),
                                                             ("P", 0, 64, 3), ("S", 1, 64, 2)))}
    return _checked({"kind": "output_size", **{k: int(v) for k, v in values.items()}})


def _bottleneck_spec() -> dict | None:
    columns = st.columns(4)
    labels = {"c_in": _("Input channels"), "reduce": _("1x1 reduces to"), "c_out": _("Output channels"),
              "kernel": _("Kernel k")}
    defaults = {"c_in": 256, "reduce": 64, "c_out": 256, "kernel": 3}
    values = {name: int(columns[i].number_input(labels[name], min_value=1, max_value=15 if name == "kernel"
                                                else questions.CHANNELS_MAX, value=defaults[name], step=1,
                                                key=f"class_bn_{name}"))
              for i, name in enumerate(labels)}
    return _checked({"kind": "bottleneck", **values})


def _own_spec() -> dict | None:
    text = st.text_area(_("Your question"), max_chars=questions.TEXT_MAX, key="class_own_text")
    kind = st.radio(_("Answered with"), ["number", "choice"], horizontal=True, key="class_own_kind",
                    format_func=lambda k: _("a number") if k == "number" else _("a choice"))
    if kind == "number":
        left, right = st.columns(2)
        answer = left.number_input(_("Right answer"), value=0.0, format="%g", key="class_own_answer")
        tolerance = right.number_input(_("Counted right within"), min_value=0.0, value=0.0, format="%g",
                                       key="class_own_tolerance")
        spec = {"kind": "number", "text": text, "answer": answer, "tolerance": tolerance}
    else:
        lines = st.text_area(_("Choices, one per line"), key="class_own_choices", max_chars=600)
        choices = [line.strip() for line in lines.splitlines() if line.strip()]
        right = st.number_input(_("Number of the right choice"), min_value=1, max_value=max(1, len(choices)),
                                value=1, step=1, key="class_own_right")
        spec = {"kind": "choice", "text": text, "choices": choices, "right": int(right) - 1}
    if not text.strip():
        st.caption(_("Type the question to ask it."))
        return None
    return _checked(spec)


def _checked(spec: dict) -> dict | None:
    try:
        spec = questions.validate(spec)
    except questions.Invalid as error:
        st.warning(error.text())
        return None
    return spec


def _prompt(asked: questions.Asked, big: bool = False) -> None:
    lines = asked.prompt()
    if big:
        st.markdown(f"#### {plain(lines[0])}")
        for line in lines[1:]:
            st.markdown(f"**{plain(line)}**")
    else:
        for line in lines:
            st.markdown(plain(line))
    if asked.choices:
        st.markdown("\n".join(f"- {plain(asked.shown(str(i)))}" for i in range(len(asked.choices))))


# --- follow mode: the instructor's walk -----------------------------------------------------------------------------

def publish_step(page: str, variant: str, input_size: int | None, step: int, sub: int | None) -> None:
    """Called by the walk (``ui.stepper``) on every run: where this session teaches a room with follow mode on,
    the room learns the page and step shown."""
    held = st.session_state.get(HELD)
    if not held or not st.session_state.get(FOLLOW):
        return
    position = {"page": page, "variant": variant, "size": input_size, "step": step, "sub": sub}
    if st.session_state.get("class_followed") == position:
        return
    try:
        rooms.follow(*held, position)
        st.session_state["class_followed"] = position
    except (StoreUnavailable, rooms.ClassError):
        st.caption(_("The phones could not be told about this step; they will be at the next one."))


def _followed_step(position: dict | None, land: bool) -> None:
    """The step the instructor's walk is on, scrolled to when ``land``."""
    from cnnviz.zoo.registry import architectures
    from ui import cached, stepper

    if not position:
        return
    arch = architectures().get(position.get("page"))
    if arch is None or position.get("variant") not in {v.name for v in arch.variants}:
        return
    size = position.get("size")
    if size is not None and not (isinstance(size, int) and 16 <= size <= 1024):
        return
    steps = cached.walk_steps(position["variant"], size, current())
    number = position.get("step")
    if not isinstance(number, int) or not 1 <= number <= len(steps):
        return
    step = steps[number - 1]
    shown = step
    sub = position.get("sub")
    if isinstance(sub, int) and len(step.layers) > 1 and 1 <= sub <= len(step.layers):
        shown = step.layers[sub - 1]
    st.divider()
    with st.container(key=FOLLOWED_PART):
        on_projector = _("On the projector")
        st.markdown(f"##### {on_projector}: {plain(_(arch.title))} · {plain(position['variant'])} · "
                    + _("step {step} of {steps}").format(step=number, steps=len(steps)))
        stepper.draw_step(position["variant"], size, step, shown)
        link = f"/{position['page']}?variant={quote(position['variant'])}&step={number}"
        if size is not None:
            link += f"&size={size}"
        open_step = _("Open this step on its page")
        st.markdown(f"[{open_step}]({link})")
        if land:
            scroll.into_view(scroll.key_selector(FOLLOWED_PART))


# --- a student's phone -----------------------------------------------------------------------------------------------

def _student_id(code: str) -> str:
    return rooms.student_id(hashlib.sha256(_owner().encode()).hexdigest(), code)


def _student(code: str) -> None:
    student = _student_id(code)
    joined = st.session_state.setdefault("class_joined", set())
    if code not in joined:
        rooms.join(code, student)
        joined.add(code)
    _send_pending(code, student)
    view = rooms.student_view(code, student)
    st.session_state["class_stage"] = (code, view.stage)
    st.caption(_("Room {code} · answers are anonymous").format(code=code))
    _phone_poll(code)
    following = st.session_state.get("class_follow_projector", True)
    land = _landing(code, view, following)
    if view.spec is None:
        st.info(_("You are in. The question will appear here."), icon=":material/hourglass_empty:")
    else:
        with st.container(key=QUESTION_PART):
            _phone_question(code, student, view)
            if land == QUESTION_PART:
                scroll.into_view(scroll.key_selector(QUESTION_PART))
    if st.toggle(_("Follow the projector"), value=True, key="class_follow_projector"):
        _followed_step(view.follow, land == FOLLOWED_PART)


def _landing(code: str, view: rooms.StudentView, following: bool) -> str | None:
    """The part this run scrolls the phone to: the question when it is new to this phone or the instructor changed
    it (closed, revealed), else the projector's step when it moved; None when neither changed since the last run."""
    question = (code, view.question_id, view.state) if view.spec is not None else None
    step = (code, view.follow) if following and view.follow else None
    seen = st.session_state.setdefault("class_seen", {})
    new_question, new_step = question != seen.get("question"), step != seen.get("step")
    seen.update(question=question, step=step)
    if question and new_question:
        return QUESTION_PART
    return FOLLOWED_PART if step and new_step else None


@st.fragment(run_every=PHONE_EVERY_S)
def _phone_poll(code: str) -> None:
    """Reads the room's stage; when the instructor has moved on, the page is drawn again."""
    try:
        polled = rooms.version(code)
    except StoreUnavailable:
        _reconnecting()
        return
    if polled is None:
        st.warning(_("This class has ended."), icon=":material/door_front:")
        return
    if st.session_state.get("class_stage") != (code, polled[1]):
        st.rerun()


def _phone_question(code: str, student: str, view: rooms.StudentView) -> None:
    asked = questions.build(view.spec)
    heading = _("Question {number}").format(number=view.position)
    st.markdown(f"### {plain(heading)}")
    if source := asked.source():
        st.caption(plain(source))
    _prompt(asked)
    given = view.answer
    if view.state == rooms.OPEN:
        if asked.choices:
            for index in range(len(asked.choices)):
                value = str(index)
                st.button(asked.shown(value), key=f"class_choice_{view.question_id}_{index}", width="stretch",
                          type="primary" if given == value else "secondary",
                          on_click=_send, args=(code, student, view.question_id, value))
        else:
            number_key = f"class_number_{view.question_id}"
            with st.form(f"class_answer_{view.question_id}", border=False):
                st.number_input(_("Your answer"), value=None, min_value=None if asked.decimals else 0,
                                step=None if asked.decimals else 1, format="%g" if asked.decimals else "%d",
                                placeholder=_("Type a number"), key=number_key)
                st.form_submit_button(_("Send"), type="primary", icon=":material/send:", width="stretch",
                                      on_click=_send_typed, args=(code, student, view.question_id, number_key))
        if notice := st.session_state.pop("class_notice", None):
            st.warning(notice)
        if given is not None:
            st.success(_("Your answer {answer} is in. You may change it until the question closes.").format(
                answer=plain(asked.shown(given))), icon=":material/check:")
        return
    if view.state == rooms.CLOSED:
        st.info(_("Answers are closed. The answer comes next."), icon=":material/lock:")
        if given is not None:
            st.write(_("Your answer: {answer}").format(answer=plain(asked.shown(given))))
        return
    right = asked.right()
    right_answer = _("Right answer: {answer}").format(answer=plain(asked.shown(right)))
    st.markdown(f"**{right_answer}**")
    if given is None:
        st.caption(_("You did not answer this one."))
    elif asked.grade(given).correct:
        st.success(_("Your answer {answer} is right.").format(answer=plain(asked.shown(given))),
                   icon=":material/check:")
    else:
        # A warning, not an error: red boxes say the app failed; a wrong answer is part of the lesson.
        st.warning(_("Your answer {answer} is not right.").format(answer=plain(asked.shown(given))),
                   icon=":material/close:")
        if why := asked.explanation(given):
            st.markdown(plain(why))
    if worked := asked.worked():
        st.latex(worked)


def _send_typed(code: str, student: str, question_id: int, number_key: str) -> None:
    value = st.session_state.get(number_key)
    if value is None:
        st.session_state["class_notice"] = _("Type a number.")
        return
    _send(code, student, question_id, value)


def _send(code: str, student: str, question_id: int, value) -> None:
    st.session_state.pop(PENDING, None)
    try:
        rooms.answer(code, student, question_id, value)
    except StoreUnavailable:
        st.session_state[PENDING] = (code, question_id, value)
    except rooms.ClassError as error:
        st.session_state["class_notice"] = error.text()


def _send_pending(code: str, student: str) -> None:
    """The answer sent while the database was away, sent again now (StoreUnavailable while it still is)."""
    pending = st.session_state.get(PENDING)
    if pending and pending[0] == code:
        _send(code, student, pending[1], pending[2])
        if st.session_state.get(PENDING):
            raise StoreUnavailable("the answer is still pending")
