"""A toy register, installed only for the tests (tests/settings.py): 路灯报修, street-lamp repairs.

It is built the way docs/adding-a-register.md says a new register is built — a model, then one
declaration per face from the kernel's toolkit — and its tests (test_toy_register.py) check that
the toolkit alone gives it pages, API, admin, import, export, metrics and scope."""
