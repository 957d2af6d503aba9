"""Rooms, questions, answers and members.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rooms",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(6), nullable=False, unique=True),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("ended", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("stage", sa.Integer, nullable=False),
        sa.Column("current_question", sa.Integer, nullable=True),
        sa.Column("follow", sa.Text, nullable=True),
    )
    op.create_index("ix_rooms_expires_at", "rooms", ["expires_at"])
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("room_id", sa.Integer, sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("spec", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("questions_room_position", "questions", ["room_id", "position"])
    op.create_table(
        "answers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("question_id", sa.Integer, sa.ForeignKey("questions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("student", sa.String(32), nullable=False),
        sa.Column("value", sa.String(32), nullable=False),
        sa.Column("correct", sa.Boolean, nullable=False),
        sa.Column("slip", sa.String(32), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("question_id", "student", name="one_answer_per_student"),
    )
    op.create_table(
        "members",
        sa.Column("room_id", sa.Integer, sa.ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("student", sa.String(32), primary_key=True),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("members")
    op.drop_table("answers")
    op.drop_index("questions_room_position", "questions")
    op.drop_table("questions")
    op.drop_index("ix_rooms_expires_at", "rooms")
    op.drop_table("rooms")
