"""What an instructor and the students may do in a class room, on the class's database (``store``).

An instructor starts a room and gets its code (six letters and digits from an alphabet without look-alikes) and a
key: 128 random bits, stored only as its SHA-256 and compared in constant time. Every instructor action (ask,
close, reveal, follow, export, end) takes the key and is refused without it. Students are anonymous: a hash of
their browser's id within the room. One answer per student per question (a unique constraint), which they may
change until the question closes. Rooms expire (``CNNVIZ_ROOM_HOURS``, default 24); "End class" deletes the
room's answers and closes it. Every query is parameterised (SQLAlchemy Core).

Live views poll one number: ``version`` (every change, for the projector) or ``stage`` (the instructor's changes,
for the phones), a read of one row by its unique code.
"""

from __future__ import annotations

import collections
import csv
import hashlib
import hmac
import io
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, insert, select, update

from cnnviz.classroom import questions, store
from cnnviz.classroom.models import CODE_LENGTH, STUDENT_LENGTH, Answer, Member, Question, Room
from cnnviz.i18n import N_, _

ALPHABET = "ACEFGHJKMNPQRTUVWXY34679"  # without look-alikes (0 O D, 1 I L, 2 Z, 5 S, 8 B)
KEY_BYTES = 16  # 128 bits
DEFAULT_HOURS = 24
OPEN, CLOSED, REVEALED = "open", "closed", "revealed"
FOLLOW_MAX = 200  # characters of the followed position's JSON
QUESTIONS_MAX = 200  # questions in one room
# Actions per student (or instructor session) within WINDOW_S seconds, per process: a phone answering and
# changing its answer, a page joining; far above what a person does, far below a script's loop.
ACTIONS, WINDOW_S = 20, 10.0
ROOMS_PER_HOUR = 20  # rooms one session may start


class ClassError(Exception):
    """An action that cannot be done, with a message for the page (an English template; ``text()`` translates)."""

    def __init__(self, message: str, **values):
        super().__init__(message)
        self.message, self.values = message, values

    def text(self) -> str:
        return _(self.message).format(**self.values)


class NotFound(ClassError):
    pass


class Refused(ClassError):
    pass


class TooFast(ClassError):
    pass


class Closed(ClassError):
    pass


def room_hours() -> float:
    raw = os.environ.get("CNNVIZ_ROOM_HOURS", "").strip()
    try:
        hours = float(raw) if raw else DEFAULT_HOURS
    except ValueError:
        hours = DEFAULT_HOURS
    return min(max(hours, 0.01), 24 * 30)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)  # stored naive, in UTC, on both databases


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def normal_code(raw: str | None) -> str | None:
    """A typed room code in its stored form ("hk3 - 7pq" -> "HK37PQ"), or None if it cannot be one."""
    if not isinstance(raw, str) or len(raw) > 20:
        return None
    code = "".join(ch for ch in raw.upper() if ch not in " -")
    return code if len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code) else None


def student_id(browser: str, code: str) -> str:
    """A student within one room: a hash of their browser's id and the room (the same browser in two rooms is
    two unrelated students)."""
    return hashlib.sha256(f"{code}\0{browser}".encode()).hexdigest()[:STUDENT_LENGTH]


class _RateLimit:
    def __init__(self, count: int, window_s: float):
        self.count, self.window_s = count, window_s
        self.seen: dict[str, collections.deque] = {}
        self.lock = threading.Lock()

    def check(self, who: str) -> None:
        now = time.monotonic()
        with self.lock:
            if len(self.seen) > 10_000:  # forget the idle ones
                self.seen = {k: v for k, v in self.seen.items() if v and now - v[-1] < self.window_s}
            times = self.seen.setdefault(who, collections.deque())
            while times and now - times[0] > self.window_s:
                times.popleft()
            if len(times) >= self.count:
                raise TooFast(N_("Too many tries at once: wait a few seconds."))
            times.append(now)


_actions = _RateLimit(ACTIONS, WINDOW_S)
_starts = _RateLimit(ROOMS_PER_HOUR, 3600.0)


@dataclass(frozen=True)
class Started:
    code: str
    key: str


def start_class(owner: str) -> Started:
    """A new room; ``owner``: who starts it (for the rate limit). Expired rooms are deleted on the way."""
    _starts.check(owner)
    key = secrets.token_urlsafe(KEY_BYTES)
    now = _now()
    with store.writing() as db:
        expired = select(Room.id).where(Room.expires_at < now).scalar_subquery()
        _delete_rooms(db, expired)
        for _attempt in range(20):
            code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
            if db.execute(select(Room.id).where(Room.code == code)).first() is None:
                break
        else:  # 24^6: 191 million codes
            raise ClassError(N_("No free room code: try again."))
        db.execute(insert(Room).values(code=code, key_hash=key_hash(key), created_at=now,
                                       expires_at=now + timedelta(hours=room_hours()), ended=False, version=0,
                                       stage=0, current_question=None, follow=None))
    return Started(code, key)


def _delete_rooms(db, room_ids) -> None:
    question_ids = select(Question.id).where(Question.room_id.in_(room_ids))
    db.execute(delete(Answer).where(Answer.question_id.in_(question_ids)))
    db.execute(delete(Question).where(Question.room_id.in_(room_ids)))
    db.execute(delete(Member).where(Member.room_id.in_(room_ids)))
    db.execute(delete(Room).where(Room.id.in_(room_ids)))


def _room(db, code: str | None):
    """The open room of ``code``, else NotFound."""
    code = normal_code(code)
    row = db.execute(select(Room).where(Room.code == code)).first() if code else None
    if row is None or row.ended or row.expires_at < _now():
        raise NotFound(N_("No class is open with this code. Check the code, or ask for a new one."))
    return row


def _instructor(db, code: str | None, key: str | None):
    room = _room(db, code)
    if not isinstance(key, str) or not hmac.compare_digest(key_hash(key), room.key_hash):
        raise Refused(N_("Only the instructor's link may do this."))
    return room


def _bump(db, room_id: int, stage: bool = False) -> None:
    values = {"version": Room.version + 1}
    if stage:
        values["stage"] = Room.stage + 1
    db.execute(update(Room).where(Room.id == room_id).values(**values))


def is_instructor(code: str | None, key: str | None) -> bool:
    try:
        with store.reading() as db:
            _instructor(db, code, key)
        return True
    except (NotFound, Refused):
        return False


# --- polls -------------------------------------------------------------------------------------------------------

def version(code: str) -> tuple[int, int] | None:
    """(version, stage) of an open room, None for none: the live views' one cheap query (the unique code's
    index)."""
    code = normal_code(code)
    if code is None:
        return None
    with store.reading() as db:
        row = db.execute(select(Room.version, Room.stage, Room.ended, Room.expires_at)
                         .where(Room.code == code)).first()
    if row is None or row.ended or row.expires_at < _now():
        return None
    return row.version, row.stage


# --- students ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StudentView:
    stage: int
    question_id: int | None
    position: int | None
    spec: dict | None
    state: str | None
    answer: str | None  # the student's own stored answer
    follow: dict | None


def join(code: str, student: str) -> None:
    _actions.check(student)
    with store.writing() as db:
        room = _room(db, code)
        if _add_member(db, room.id, student):
            _bump(db, room.id)


def _upsert(db):
    if db.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    return upsert


def _add_member(db, room_id: int, student: str) -> bool:
    """Whether ``student`` joined just now (False: they had joined before)."""
    statement = _upsert(db)(Member).values(room_id=room_id, student=student, joined_at=_now())
    return db.execute(statement.on_conflict_do_nothing(index_elements=["room_id", "student"])).rowcount == 1


def student_view(code: str, student: str) -> StudentView:
    with store.reading() as db:
        room = _room(db, code)
        question = _current(db, room)
        answer = None
        if question is not None:
            answer = db.execute(select(Answer.value).where(Answer.question_id == question.id,
                                                           Answer.student == student)).scalar()
    follow = json.loads(room.follow) if room.follow else None
    if question is None:
        return StudentView(room.stage, None, None, None, None, None, follow)
    return StudentView(room.stage, question.id, question.position, json.loads(question.spec), question.state, answer,
                       follow)


def _current(db, room):
    if room.current_question is None:
        return None
    row = db.execute(select(Question).where(Question.id == room.current_question,
                                            Question.room_id == room.id)).first()
    return row


def answer(code: str, student: str, question_id: int, raw) -> questions.Grade:
    """Record (or change) ``student``'s answer to the room's current question; Closed once it has closed."""
    _actions.check(student)
    with store.writing() as db:
        room = _room(db, code)
        question = _current(db, room)
        if question is None or question.id != question_id:
            raise Closed(N_("This question is over: the instructor has moved on."))
        if question.state != OPEN:
            raise Closed(N_("This question is closed: answers are no longer taken."))
        spec = json.loads(question.spec)
        try:
            value = questions.parse(spec, raw)
        except questions.Invalid as error:
            raise ClassError(error.message, **error.values) from None
        grade = questions.build(spec).grade(value)
        row = {"value": value, "correct": grade.correct, "slip": grade.slip, "answered_at": _now()}
        _add_member(db, room.id, student)  # a student whose page reconnected elsewhere is still counted
        statement = _upsert(db)(Answer).values(question_id=question.id, student=student, **row)
        db.execute(statement.on_conflict_do_update(index_elements=["question_id", "student"], set_=row))
        _bump(db, room.id)
    return grade


# --- the instructor ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tally:
    value: str
    count: int
    correct: bool
    slip: str | None


@dataclass(frozen=True)
class ProjectorView:
    version: int
    joined: int
    question_id: int | None
    position: int | None
    spec: dict | None
    state: str | None
    answered: int
    tallies: list[Tally] = field(default_factory=list)  # by value, most answers first
    follow: dict | None = None
    expires_at: datetime | None = None

    def slips(self) -> list[tuple[str, int]]:
        """The wrong answers by named slip, most first (OTHER last)."""
        counts: collections.Counter = collections.Counter()
        for tally in self.tallies:
            if not tally.correct:
                counts[tally.slip or questions.OTHER] += tally.count
        named = sorted(((s, n) for s, n in counts.items() if s != questions.OTHER), key=lambda sn: (-sn[1], sn[0]))
        return named + ([(questions.OTHER, counts[questions.OTHER])] if counts[questions.OTHER] else [])

    @property
    def right(self) -> int:
        return sum(t.count for t in self.tallies if t.correct)


def projector(code: str, key: str) -> ProjectorView:
    with store.reading() as db:
        room = _instructor(db, code, key)
        joined = db.execute(select(func.count()).select_from(Member).where(Member.room_id == room.id)).scalar()
        question = _current(db, room)
        follow = json.loads(room.follow) if room.follow else None
        if question is None:
            return ProjectorView(room.version, joined, None, None, None, None, 0, [], follow, room.expires_at)
        tallies = _tallies(db, question.id)
    return ProjectorView(room.version, joined, question.id, question.position, json.loads(question.spec),
                         question.state, sum(t.count for t in tallies), tallies, follow, room.expires_at)


def _tallies(db, question_id: int) -> list[Tally]:
    rows = db.execute(select(Answer.value, Answer.correct, Answer.slip, func.count())
                      .where(Answer.question_id == question_id)
                      .group_by(Answer.value, Answer.correct, Answer.slip)).all()
    return sorted((Tally(value, count, bool(correct), slip) for value, correct, slip, count in rows),
                  key=lambda t: (-t.count, t.value))


def ask(code: str, key: str, spec: dict) -> int:
    """Ask the room ``spec`` (checked by ``questions.validate``); the question before it closes."""
    _actions.check("instructor " + key_hash(str(key))[:16])
    try:
        spec = questions.validate(spec)
    except questions.Invalid as error:
        raise ClassError(error.message, **error.values) from None
    with store.writing() as db:
        room = _instructor(db, code, key)
        position = db.execute(select(func.count()).select_from(Question)
                              .where(Question.room_id == room.id)).scalar() + 1
        if position > QUESTIONS_MAX:
            raise ClassError(N_("A class holds at most {most} questions."), most=QUESTIONS_MAX)
        db.execute(update(Question).where(Question.room_id == room.id, Question.state == OPEN).values(state=CLOSED))
        question_id = db.execute(insert(Question).values(room_id=room.id, position=position, spec=json.dumps(spec),
                                                         state=OPEN, created_at=_now())
                                 .returning(Question.id)).scalar()
        db.execute(update(Room).where(Room.id == room.id).values(current_question=question_id))
        _bump(db, room.id, stage=True)
    return question_id


def _set_state(code: str, key: str, state: str) -> None:
    with store.writing() as db:
        room = _instructor(db, code, key)
        if room.current_question is None:
            raise ClassError(N_("Ask a question first."))
        db.execute(update(Question).where(Question.id == room.current_question).values(state=state))
        _bump(db, room.id, stage=True)


def close(code: str, key: str) -> None:
    """No more answers to the current question."""
    _set_state(code, key, CLOSED)


def reveal(code: str, key: str) -> None:
    """Close the current question and show its answer (the phones show each student's own slip)."""
    _set_state(code, key, REVEALED)


def follow(code: str, key: str, position: dict | None) -> None:
    """The page and step the projector shows, for the phones that follow it (None: none)."""
    text = json.dumps(position, sort_keys=True) if position is not None else None
    if text is not None and len(text) > FOLLOW_MAX:
        raise ClassError(N_("That position is too long to follow."))
    with store.writing() as db:
        room = _instructor(db, code, key)
        if room.follow != text:
            db.execute(update(Room).where(Room.id == room.id).values(follow=text))
            _bump(db, room.id, stage=True)


def end(code: str, key: str) -> None:
    """End the class: its answers and members are deleted, the room closes (its code opens nothing any more)."""
    with store.writing() as db:
        room = _instructor(db, code, key)
        question_ids = select(Question.id).where(Question.room_id == room.id)
        db.execute(delete(Answer).where(Answer.question_id.in_(question_ids)))
        db.execute(delete(Member).where(Member.room_id == room.id))
        db.execute(update(Room).where(Room.id == room.id).values(ended=True, follow=None))
        _bump(db, room.id, stage=True)


RESULT_COLUMNS = (N_("question"), N_("asked"), N_("right answer"), N_("answers"), N_("right"), N_("share right"),
                  N_("slips"), N_("answers given"))


def results_csv(code: str, key: str) -> str:
    """The room's results, one row per question: what it asked, the right answer, how many answered and were
    right, the wrong answers by slip, and every answer given with its count. In the calling session's language."""
    with store.reading() as db:
        room = _instructor(db, code, key)
        rows = db.execute(select(Question).where(Question.room_id == room.id).order_by(Question.position)).all()
        tallies = {row.id: _tallies(db, row.id) for row in rows}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_(name) for name in RESULT_COLUMNS])
    for row in rows:
        question = row
        asked = questions.build(json.loads(question.spec))
        counted = tallies[question.id]
        view = ProjectorView(0, 0, question.id, question.position, None, question.state, 0, counted)
        total, right = sum(t.count for t in counted), view.right
        slips = "; ".join(f"{questions.slip_name(slip)}: {count}" for slip, count in view.slips())
        given = "; ".join(f"{asked.shown(t.value)}: {t.count}" for t in counted)
        text = " ".join(asked.prompt())
        if source := asked.source():
            text = f"{source}: {text}"
        writer.writerow([question.position, _cell(text), _cell(asked.shown(asked.right())), total, right,
                         f"{right / total:.0%}" if total else "", _cell(slips), _cell(given)])
    return out.getvalue()


def _cell(text: str) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @ would be read as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
