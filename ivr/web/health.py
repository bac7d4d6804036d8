"""Health check for load balancers and monitoring: is the database answering?"""

from __future__ import annotations

import logging

from flask import Blueprint
from sqlalchemy.exc import SQLAlchemyError

from ivr.web.extension import current_runtime

health = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@health.get("/health")
def check() -> tuple[dict[str, str], int]:
    store = current_runtime().store
    try:
        store.ping()
    except SQLAlchemyError as error:
        log.warning("health: database unreachable (%s)", type(error).__name__)
        return {"database": "unreachable"}, 503
    if not store.upgrade_schema_when_reachable():
        return {"database": "schema not ready"}, 503
    return {"database": "ok"}, 200
