"""Run the migrations on the connection the app hands over, or on the database of DATABASE_URL."""

from alembic import context

from ivr.store import schema
from ivr.store.db import make_engine
from ivr.settings import from_environment

config = context.config


def run(connection) -> None:
    context.configure(
        connection=connection, target_metadata=schema.model_metadata(), render_as_batch=True, compare_type=True
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported: run them on a database")
given = config.attributes.get("connection")
if given is not None:
    run(given)  # the app's upgrade, inside its locked transaction
else:
    engine = make_engine(str(from_environment()["DATABASE_URL"]))
    try:
        with engine.begin() as connection:
            schema.hold_schema_lock(connection)
            run(connection)
    finally:
        engine.dispose()
