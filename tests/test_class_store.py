"""The class's storage (cnnviz.classroom.rooms on cnnviz.classroom.store): the same tests on embedded SQLite and on a
real PostgreSQL (a throw-away cluster of Debian's postgresql, tests/postgres.py)."""

from __future__ import annotations

import csv
import hashlib
import io
import threading
from datetime import timedelta

import pytest
from sqlalchemy import insert, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from cnnviz.classroom import questions, rooms, store
from cnnviz.classroom.models import Answer, Member, Question, Room
from tests import postgres
from tests.required import must_have

# One process runs this module: its PostgreSQL cluster (the module's fixture) starts once, not once per process.
pytestmark = pytest.mark.xdist_group("postgresql")
OUTPUT = {"kind": "output_size", "W": 224, "F": 3, "P": 1, "S": 2}  # 112; forgetting the padding gives 111


@pytest.fixture(scope="module")
def pg_cluster():
    if postgres.binaries() is None:
        if must_have():
            pytest.fail(f"PostgreSQL is required here ({postgres.INSTALL})", pytrace=False)
        pytest.skip(f"PostgreSQL is not installed ({postgres.INSTALL})")
    with postgres.cluster() as pg:
        yield pg


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path, monkeypatch):
    """A fresh, migrated database made the store's engine for the test; yields the engine."""
    if request.param == "sqlite":
        monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.delenv("CNNVIZ_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("CNNVIZ_DATABASE_URL", request.getfixturevalue("pg_cluster").new_database())
    engine = store.make_engine()
    store.use_engine(engine)
    monkeypatch.setattr(rooms, "_actions", rooms._RateLimit(rooms.ACTIONS, rooms.WINDOW_S))
    monkeypatch.setattr(rooms, "_starts", rooms._RateLimit(rooms.ROOMS_PER_HOUR, 3600.0))
    yield engine
    store.use_engine(None)
    engine.dispose()


def _class(student_count: int = 0):
    started = rooms.start_class("instructor")
    students = [rooms.student_id(f"browser {n}", started.code) for n in range(student_count)]
    for student in students:
        rooms.join(started.code, student)
    return started, students


def test_the_engine_is_the_configured_database_with_the_tables_migrated(db, tmp_path):
    if db.dialect.name == "sqlite":
        assert db.url.database == str(tmp_path / "data" / store.SQLITE_FILE)
        with db.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    else:
        assert db.dialect.driver == "psycopg"
    tables = set(inspect(db).get_table_names())
    assert {"rooms", "questions", "answers", "members", "alembic_version"} <= tables
    with db.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
    store.migrate(db)  # again: nothing to do, nothing broken
    indexes = {tuple(i["column_names"]) for i in inspect(db).get_indexes("questions")}
    assert ("room_id", "position") in indexes


def test_room_codes_are_unambiguous_and_the_key_is_stored_only_hashed(db):
    started, _ = _class()
    assert len(started.code) == 6 and set(started.code) <= set(rooms.ALPHABET)
    assert not set("0OD1IL2Z5S8B") & set(rooms.ALPHABET)
    assert len(started.key) >= 22  # 128 bits in URL-safe base64
    assert rooms.normal_code(f" {started.code[:3].lower()} - {started.code[3:]} ") == started.code
    assert rooms.normal_code("HELLO0") is None and rooms.normal_code("x" * 100) is None
    with db.connect() as connection:
        stored = connection.execute(select(Room.key_hash).where(Room.code == started.code)).scalar()
        everything = " ".join(str(v) for row in connection.execute(select(Room)).all() for v in row)
    assert stored == hashlib.sha256(started.key.encode()).hexdigest()
    assert started.key not in everything
    assert rooms.is_instructor(started.code, started.key)


INSTRUCTOR_ACTIONS = {
    "projector": lambda code, key: rooms.projector(code, key),
    "ask": lambda code, key: rooms.ask(code, key, OUTPUT),
    "close": lambda code, key: rooms.close(code, key),
    "reveal": lambda code, key: rooms.reveal(code, key),
    "follow": lambda code, key: rooms.follow(code, key, {"page": "vgg16", "step": 3}),
    "results": lambda code, key: rooms.results_csv(code, key),
    "end": lambda code, key: rooms.end(code, key),
}


@pytest.mark.parametrize("action", list(INSTRUCTOR_ACTIONS))
def test_every_instructor_action_is_refused_without_the_key_or_with_a_wrong_one(db, action):
    started, (student,) = _class(1)
    question = rooms.ask(started.code, started.key, OUTPUT)
    rooms.answer(started.code, student, question, "111")
    before = rooms.projector(started.code, started.key)
    other = rooms.start_class("someone else")  # a real key, of another room
    for key in (None, "", "wrong", started.key[:-1], started.key + "x", other.key, started.key.upper()):
        if key == started.key:
            continue
        with pytest.raises(rooms.Refused):
            INSTRUCTOR_ACTIONS[action](started.code, key)
        assert not rooms.is_instructor(started.code, key)
    after = rooms.projector(started.code, started.key)
    assert after == before, "a refused action changed the room"
    INSTRUCTOR_ACTIONS[action](started.code, started.key)  # with the key it is done


def test_one_answer_per_student_which_may_change_until_the_question_closes(db):
    started, (ann, bob) = _class(2)
    question = rooms.ask(started.code, started.key, OUTPUT)
    assert rooms.answer(started.code, ann, question, "111") == questions.Grade(False, "padding")
    assert rooms.answer(started.code, ann, question, "112") == questions.Grade(True, None)
    assert rooms.answer(started.code, bob, question, " 1,000 ") == questions.Grade(False, "other")
    view = rooms.projector(started.code, started.key)
    assert view.answered == 2 and view.joined == 2 and view.right == 1
    assert rooms.student_view(started.code, ann).answer == "112"
    with db.connect() as connection, pytest.raises(IntegrityError):  # the database itself refuses a second row
        connection.execute(insert(Answer).values(question_id=question, student=ann, value="1", correct=False,
                                                 answered_at=rooms._now()))
        connection.commit()
    rooms.close(started.code, started.key)
    with pytest.raises(rooms.Closed):
        rooms.answer(started.code, ann, question, "111")
    assert rooms.student_view(started.code, ann).answer == "112"
    rooms.reveal(started.code, started.key)
    with pytest.raises(rooms.Closed):
        rooms.answer(started.code, bob, question, "112")
    second = rooms.ask(started.code, started.key, {"kind": "choice", "text": "Which?", "choices": ["a", "b"],
                                                   "right": 1})
    with pytest.raises(rooms.Closed):  # an answer to the question before
        rooms.answer(started.code, ann, question, "112")
    assert rooms.answer(started.code, ann, second, "1").correct


def test_asking_the_next_question_closes_the_one_before(db):
    started, _ = _class()
    first = rooms.ask(started.code, started.key, OUTPUT)
    second = rooms.ask(started.code, started.key, OUTPUT)
    with db.connect() as connection:
        states = dict(connection.execute(select(Question.id, Question.state)).all())
    assert states == {first: rooms.CLOSED, second: rooms.OPEN}
    assert rooms.projector(started.code, started.key).position == 2


def test_end_class_deletes_its_answers_and_the_code_opens_nothing(db):
    started, (ann, bob) = _class(2)
    other, (carl,) = _class(1)
    question = rooms.ask(started.code, started.key, OUTPUT)
    kept = rooms.ask(other.code, other.key, OUTPUT)
    rooms.answer(started.code, ann, question, "112")
    rooms.answer(started.code, bob, question, "111")
    rooms.answer(other.code, carl, kept, "112")
    rooms.end(started.code, started.key)
    with db.connect() as connection:
        assert connection.execute(select(Answer.question_id)).scalars().all() == [kept]
        assert connection.execute(select(Member.student)).scalars().all() == [carl]
    for call in (lambda: rooms.join(started.code, ann), lambda: rooms.student_view(started.code, ann),
                 lambda: rooms.answer(started.code, ann, question, "112"),
                 lambda: rooms.projector(started.code, started.key)):
        with pytest.raises(rooms.NotFound):
            call()
    assert rooms.version(started.code) is None and rooms.version(other.code) is not None


def test_rooms_expire_after_the_configured_hours_and_are_deleted(db, monkeypatch):
    monkeypatch.setenv("CNNVIZ_ROOM_HOURS", "2")
    started, (ann,) = _class(1)
    with db.connect() as connection:
        created, expires = connection.execute(select(Room.created_at, Room.expires_at)).one()
    assert expires - created == timedelta(hours=2)
    monkeypatch.delenv("CNNVIZ_ROOM_HOURS")
    assert rooms.room_hours() == rooms.DEFAULT_HOURS == 24
    question = rooms.ask(started.code, started.key, OUTPUT)
    rooms.answer(started.code, ann, question, "112")
    with db.begin() as connection:  # as three hours later
        connection.execute(update(Room).values(expires_at=expires - timedelta(hours=3)))
    with pytest.raises(rooms.NotFound):
        rooms.student_view(started.code, ann)
    assert rooms.version(started.code) is None
    rooms.start_class("instructor")  # a new room clears the expired ones away
    with db.connect() as connection:
        assert connection.execute(select(Room.code)).scalars().all() != [] and \
            started.code not in connection.execute(select(Room.code)).scalars().all()
        assert connection.execute(select(Answer.id)).all() == []


def test_a_student_is_rate_limited(db):
    started, (ann, bob) = _class(2)
    question = rooms.ask(started.code, started.key, OUTPUT)
    for _ in range(rooms.ACTIONS - 1):  # the join was one
        rooms.answer(started.code, ann, question, "112")
    with pytest.raises(rooms.TooFast):
        rooms.answer(started.code, ann, question, "111")
    assert rooms.student_view(started.code, ann).answer == "112"
    rooms.answer(started.code, bob, question, "112")  # the others go on


@pytest.mark.parametrize("raw", ["", "abc", "1e400", "nan", "-3", "9" * 20, "1.5", None, "1" * 30])
def test_answers_out_of_range_or_form_are_refused_with_a_message(db, raw):
    started, (ann,) = _class(1)
    question = rooms.ask(started.code, started.key, OUTPUT)
    with pytest.raises(rooms.ClassError) as refused:
        rooms.answer(started.code, ann, question, raw)
    assert refused.value.text() and "Traceback" not in refused.value.text()
    assert rooms.projector(started.code, started.key).answered == 0


@pytest.mark.parametrize("spec", [
    {"kind": "number", "text": "x" * 301, "answer": 1},
    {"kind": "number", "text": "", "answer": 1},
    {"kind": "number", "text": "How many?", "answer": float("inf")},
    {"kind": "choice", "text": "Which?", "choices": ["only one"], "right": 0},
    {"kind": "choice", "text": "Which?", "choices": ["a", "b"], "right": 2},
    {"kind": "choice", "text": "Which?", "choices": ["a", "b" * 81], "right": 0},
    {"kind": "output_size", "W": 2, "F": 7, "P": 0, "S": 1},
    {"kind": "output_size", "W": 10 ** 9, "F": 3, "P": 0, "S": 1},
    {"kind": "bottleneck", "c_in": 0, "reduce": 1, "c_out": 1, "kernel": 3},
    {"kind": "layer", "ask": "macs", "layer": {"in_size": 8}},
    {"kind": "drop tables"},
])
def test_questions_out_of_range_are_refused_with_a_message(db, spec):
    started, _ = _class()
    with pytest.raises(rooms.ClassError) as refused:
        rooms.ask(started.code, started.key, spec)
    assert refused.value.text()
    assert rooms.projector(started.code, started.key).question_id is None


def test_live_views_poll_one_number_each(db):
    started, (ann,) = _class(1)
    version, stage = rooms.version(started.code)
    question = rooms.ask(started.code, started.key, OUTPUT)
    after_ask = rooms.version(started.code)
    assert after_ask[0] > version and after_ask[1] > stage
    rooms.answer(started.code, ann, question, "112")
    after_answer = rooms.version(started.code)
    assert after_answer[0] > after_ask[0] and after_answer[1] == after_ask[1], "an answer moved the phones' stage"
    rooms.follow(started.code, started.key, {"page": "vgg16", "variant": "vgg19", "step": 3})
    assert rooms.version(started.code)[1] > after_answer[1]
    assert rooms.student_view(started.code, ann).follow == {"page": "vgg16", "variant": "vgg19", "step": 3}
    assert rooms.version("NOSUCH") is None and rooms.version("'; DROP TABLE rooms; --") is None


def test_results_csv_counts_share_right_and_slips(db):
    started, students = _class(6)
    question = rooms.ask(started.code, started.key, OUTPUT)
    for student, value in zip(students, ["112", "112", "111", "111", "111", "57"]):
        rooms.answer(started.code, student, question, value)
    own = rooms.ask(started.code, started.key, {"kind": "choice", "text": "=HYPERLINK(\"x\")",
                                                "choices": ["yes", "no"], "right": 0})
    rooms.answer(started.code, students[0], own, "1")
    rows = list(csv.reader(io.StringIO(rooms.results_csv(started.code, started.key))))
    assert rows[0] == [name for name in rooms.RESULT_COLUMNS]
    first = dict(zip(rows[0], rows[1]))
    assert first["question"] == "1" and first["right answer"] == "112"
    assert (first["answers"], first["right"], first["share right"]) == ("6", "2", "33%")
    assert first["slips"] == "forgot the padding: 3; other answers: 1"
    assert first["answers given"] == "111: 3; 112: 2; 57: 1"
    second = dict(zip(rows[0], rows[2]))
    assert second["asked"].startswith("'="), "a question's text must not become a spreadsheet formula"
    assert second["right answer"] == "A. yes" and second["share right"] == "0%"


@pytest.mark.slow
def test_fifty_students_answering_at_once_are_all_recorded(db):
    started, students = _class(50)
    question = rooms.ask(started.code, started.key, OUTPUT)
    failures = []
    barrier = threading.Barrier(len(students))

    def answer(student):
        barrier.wait()
        try:
            rooms.answer(started.code, student, question, "112")
        except Exception as error:  # noqa: BLE001 — collected for the assertion
            failures.append(error)

    threads = [threading.Thread(target=answer, args=(s,)) for s in students]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert rooms.projector(started.code, started.key).answered == 50


def test_a_postgresql_restart_is_a_short_outage_not_an_error(pg_cluster, monkeypatch):
    monkeypatch.setenv("CNNVIZ_DATABASE_URL", pg_cluster.new_database())
    engine = store.make_engine()
    store.use_engine(engine)
    try:
        started, (ann,) = _class(1)
        question = rooms.ask(started.code, started.key, OUTPUT)
        rooms.answer(started.code, ann, question, "111")
        pg_cluster.stop()
        with pytest.raises(store.StoreUnavailable):
            rooms.version(started.code)
        with pytest.raises(store.StoreUnavailable):
            rooms.answer(started.code, ann, question, "112")
        pg_cluster.start()
        rooms.answer(started.code, ann, question, "112")  # the pool's stale connections are replaced
        assert rooms.projector(started.code, started.key).right == 1
    finally:
        store.use_engine(None)
        engine.dispose()
