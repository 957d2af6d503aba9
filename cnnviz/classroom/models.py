"""The class's tables: rooms, their questions and the students' answers (SQLAlchemy 2 declarative models).

Nothing personal is stored: a student is a hash that names a browser within one room, and an answer is a number
or a choice. Changing these tables means a new migration in ``migrations/versions``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

CODE_LENGTH = 6
STUDENT_LENGTH = 32  # hex characters of a student's hash
VALUE_LENGTH = 32  # an answer as text: a whole number, a decimal or a choice's number
SLIP_LENGTH = 32


class Base(DeclarativeBase):
    pass


class Room(Base):
    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the instructor key, hex
    created_at: Mapped[datetime] = mapped_column(DateTime())
    expires_at: Mapped[datetime] = mapped_column(DateTime(), index=True)
    ended: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped by every change (an answer, a join): what the projector polls. ``stage``: by the instructor's changes
    # only (a question, a close, a reveal, a step followed): what the phones poll.
    version: Mapped[int] = mapped_column(Integer, default=0)
    stage: Mapped[int] = mapped_column(Integer, default=0)
    current_question: Mapped[int | None] = mapped_column(Integer, nullable=True)
    follow: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON: the page and step the projector shows


class Question(Base):
    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    spec: Mapped[str] = mapped_column(Text)  # JSON, ``questions.build`` reads it
    state: Mapped[str] = mapped_column(String(16))  # open, closed, revealed
    created_at: Mapped[datetime] = mapped_column(DateTime())


class Answer(Base):
    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("question_id", "student", name="one_answer_per_student"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    student: Mapped[str] = mapped_column(String(STUDENT_LENGTH))
    value: Mapped[str] = mapped_column(String(VALUE_LENGTH))
    correct: Mapped[bool] = mapped_column(Boolean)
    slip: Mapped[str | None] = mapped_column(String(SLIP_LENGTH), nullable=True)
    answered_at: Mapped[datetime] = mapped_column(DateTime())


class Member(Base):
    """A student who joined a room (the projector's "joined" count)."""

    __tablename__ = "members"

    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True)
    student: Mapped[str] = mapped_column(String(STUDENT_LENGTH), primary_key=True)
    joined_at: Mapped[datetime] = mapped_column(DateTime())


Index("questions_room_position", Question.room_id, Question.position)
