# The two commands: `make run` and `make test`. Nothing but Python 3.11 and make is needed.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Tests and the type check run with throwaway keys; `make run` is a development server (DEBUG on).
TEST_ENV := SECRET_KEY=test-only-secret-key PERSONAL_DATA_KEY=test-only-personal-data-key DEBUG=false

.PHONY: run test lint typecheck pytest messages clean

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) requirements.txt requirements-dev.txt
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py seed_demo
	DEBUG=true $(PY) manage.py runserver 127.0.0.1:8000

test: lint typecheck pytest

# lint-imports keeps the layering (contracts in pyproject.toml): the kernel imports no domain app,
# and no domain app imports another.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: $(STAMP)
	$(TEST_ENV) $(VENV)/bin/mypy

# Browser tests run when Chromium is installed (/usr/bin/chromium); .ci/run installs it and
# sets REQUIRE_BROWSER=1 so that a missing browser fails instead of skipping.
pytest: $(STAMP)
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	# The test run's settings add the toy register (tests/toyregister): its migration must keep up too.
	$(TEST_ENV) DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py makemigrations --check --dry-run toyregister
	$(TEST_ENV) $(PY) manage.py check
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

# The kernel's catalogue is locale/; each domain app keeps its own in <app>/locale/.
messages: $(STAMP)
	DEBUG=true $(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=tests --ignore=static \
		--ignore=projects --ignore=governance --ignore=welfare
	for app in projects governance welfare; do \
		(cd $$app && DEBUG=true ../$(PY) ../manage.py makemessages -l zh_Hans --no-obsolete) || exit 1; done
	DEBUG=true $(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
