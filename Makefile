# Two commands matter: `make run` and `make test`. Both set up what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint format bench migrate browser nginx clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-deps: requirements.txt | $(BIN)/activate
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

migrate: $(VENV)/.run-deps
	$(BIN)/flask --app app db upgrade

run: migrate
	$(BIN)/python app.py --host $(HOST) --port $(PORT)

# Browser tests drive Debian's chromium; Playwright's own browser download cannot work here.
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "Install chromium (apt-get install chromium) for the browser tests" >&2; exit 1; fi; }

# The deploy tests run Debian's nginx (with deploy/nginx.conf) as a process of their own, on a free port.
nginx:
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; \
	  else echo "Install nginx (apt-get install nginx) for the deploy tests" >&2; exit 1; fi; }

# Most tests wait on a real server subprocess or a browser, so four workers fit even on two cores.
PYTEST_ARGS ?= -n 4 --durations=15

test: $(VENV)/.dev-deps browser nginx
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
