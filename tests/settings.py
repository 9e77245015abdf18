"""The settings of the test run: the project's own, plus the toy register (tests/toyregister), a
domain app installed only here to prove that the kernel's toolkit alone makes a register."""

from xicheng.settings import *  # noqa: F403
from xicheng.settings import DATABASES, DOMAIN_APPS, INSTALLED_APPS

DOMAIN_APPS = [*DOMAIN_APPS, "toyregister"]
INSTALLED_APPS = [*INSTALLED_APPS, "tests.toyregister"]

# A stand-in read replica on PostgreSQL: a second connection to the same test database, for the
# router's tests (tests/xicheng/test_replica.py), which install the router themselves. Every other
# test runs as a one-database installation does: no router, the alias never used.
if DATABASES["default"]["ENGINE"].endswith("postgresql") and "replica" not in DATABASES:
    DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}

# The tests write inside a transaction that never commits, so a cached overview would never be
# forgotten: the cache is off, and on only in the tests of the cache (tests/xicheng/test_overview_cache.py).
DASHBOARD_CACHE_SECONDS = 0
DASHBOARD_PAST_CACHE_SECONDS = 0
