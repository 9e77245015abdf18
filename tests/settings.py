"""The settings of the test run: the project's own, plus the toy register (tests/toyregister), a
domain app installed only here to prove that the kernel's toolkit alone makes a register."""

from xicheng.settings import *  # noqa: F403
from xicheng.settings import DOMAIN_APPS, INSTALLED_APPS

DOMAIN_APPS = [*DOMAIN_APPS, "toyregister"]
INSTALLED_APPS = [*INSTALLED_APPS, "tests.toyregister"]
