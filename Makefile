# Two commands matter: `make run` and `make test`. Both set up what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint format bench migrate browser nginx clean lock check-lock

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

# Dependencies come from the locks (requirements*.txt: every package pinned, with hashes), made by `make lock` from the
# short hand-edited lists requirements*.in. uv installs a lock exactly: what it no longer lists is removed. uv is in the
# lock too; pip installs that one entry first, hash checked.
$(UV): | $(BIN)/activate
	awk '/^uv==/ {p = 1; print; next} p && /^ +--hash/ {print; next} {p = 0}' requirements.txt > $(VENV)/uv.txt
	$(BIN)/pip install -q --disable-pip-version-check --require-hashes --no-deps -r $(VENV)/uv.txt

# --compile-bytecode: uv installs no .pyc by default, and with PYTHONDONTWRITEBYTECODE set (as on the CI machine) every
# process then compiled ~800 modules from source: ~2 s per server start, the suite's main cost (see README, Tests).
SYNC := $(UV) pip sync -q --require-hashes --compile-bytecode --python $(BIN)/python

$(VENV)/.run-deps: requirements.txt | $(UV)
	$(SYNC) requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(UV)
	$(SYNC) requirements-dev.txt
	touch $@ $(VENV)/.run-deps

# Resolve requirements*.in into the locks; pins already in a lock stay unless LOCK_ARGS says otherwise:
# make lock LOCK_ARGS="--upgrade-package werkzeug" (one package) or LOCK_ARGS=--upgrade (all not pinned in the .in).
LOCK_ARGS ?=
COMPILE = $(CURDIR)/$(UV) pip compile -q --generate-hashes --python-version 3.11 --python-platform linux \
	--custom-compile-command "make lock" $(LOCK_ARGS)
LOCK = $(COMPILE) requirements.in -o requirements.txt && $(COMPILE) requirements-dev.in -o requirements-dev.txt

lock: | $(UV)
	$(LOCK)

# Fails when the locks are not what `make lock` makes of requirements*.in (asks PyPI; .ci/run runs it).
check-lock: | $(UV)
	rm -rf $(VENV)/lock-check && mkdir $(VENV)/lock-check
	cp requirements.in requirements-dev.in requirements.txt requirements-dev.txt $(VENV)/lock-check/
	cd $(VENV)/lock-check && $(LOCK)
	diff -u requirements.txt $(VENV)/lock-check/requirements.txt
	diff -u requirements-dev.txt $(VENV)/lock-check/requirements-dev.txt

migrate: $(VENV)/.run-deps
	$(BIN)/flask --app app db upgrade

run: migrate
	$(BIN)/python app.py --host $(HOST) --port $(PORT)

# Browser tests drive Debian's chromium headless shell (the chromium-headless-shell package: the same chromium, built
# as the headless-only browser Playwright itself runs headless tests in); Playwright's own download cannot work here.
browser:
	@command -v chromium-headless-shell >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell; \
	  else echo "Install chromium-headless-shell (apt-get install chromium-headless-shell) for the browser tests" >&2; \
	    exit 1; fi; }

# The deploy tests run Debian's nginx (with deploy/nginx.conf) as a process of their own, on a free port.
nginx:
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; \
	  else echo "Install nginx (apt-get install nginx) for the deploy tests" >&2; exit 1; fi; }

# Many tests wait on a server process or a browser, so four workers fit even on two cores. worksteal: a worker that
# runs out takes half of another's queue (tests/conftest.py orders the tests for it). The 25 slowest phases are
# printed (CI too), so a test that grows slow shows.
PYTEST_ARGS ?= -n 4 --dist worksteal --durations=25

# The project's own modules compiled once up front: every test worker and server subprocess reads them (compileall
# writes .pyc even where PYTHONDONTWRITEBYTECODE keeps imports from doing it).
test: $(VENV)/.dev-deps browser nginx
	$(BIN)/python -m compileall -q autocharge tests migrations bench app.py
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.dev-deps
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.dev-deps
	$(BIN)/python bench/ocpp_load.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
