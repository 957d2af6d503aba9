"""Alembic's environment for the class's tables: run on the connection that ``cnnviz.classroom.store`` hands over
(``config.attributes["connection"]``); there is no alembic.ini."""

from alembic import context

from cnnviz.classroom.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
