"""Scenarios. Each module registers its classes with @register; to add one (cdc, wasm, ...),
write a module here and import it below."""

from .base import SCENARIOS, Figure, Scenario, register  # noqa: F401
# In this order (`all` runs them so): file-source, file-sink, idle, s3-sink, cdc, failover.
from . import file, idle, s3, cdc, failover  # noqa: F401,E402,I001
