"""What `scripts/dev-env env` exports, as bench/run passes it on to the driver."""

from __future__ import annotations

import os


def env(name: str, service: str) -> str:
    """The variable `name` of `service` (kafka, s3, postgres); an error if bench/run did not set it."""
    v = os.environ.get(name)
    if not v:
        raise RuntimeError(f"{name} is not set: run me through bench/run (it exports "
                           f"`scripts/dev-env env {service}`)")
    return v
