# regkb: two commands on a fresh machine.
#   make demo   set up .venv, build the embedding model, ingest the shared corpus, show a search,
#               then serve the web page and the API (Ctrl-C stops it)
#   make test   set up .venv and run the test suite
#   make test-fast  the tests not marked slow, browser or quality (under a minute): the edit loop
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORPUS ?= ../shared/corpus/seeds ../shared/corpus/laws
QUESTION ?= 生产经营单位主要负责人有哪些安全生产职责
HOST ?= 127.0.0.1
PORT ?= 8000
export HAYSTACK_TELEMETRY_ENABLED := False

.PHONY: setup model demo test test-fast eval bench load clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, pinned: an unpinned torch pulls a multi-GB CUDA build. setuptools prints a
# generic notice on every editable install; the install itself is declared without warnings.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	PYTHONWARNINGS=ignore $(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed

model: setup
	$(BIN)/regkb model build

demo: model
	$(BIN)/regkb ingest $(CORPUS)
	$(BIN)/regkb documents
	$(BIN)/regkb search "$(QUESTION)" -k 3
	$(BIN)/regkb serve --host $(HOST) --port $(PORT)

test: model
	$(BIN)/python -m pytest -q

test-fast: model
	$(BIN)/python -m pytest -q -m "not slow and not browser and not quality"

eval: setup
	$(BIN)/regkb eval

bench: setup
	$(BIN)/python -m regkb.eval.bench.machine

# The service under load (eval/bench/locustfile.py): 2,000 searches and 500 asks at 16 users, loopback only.
load: setup
	$(BIN)/regkb serve --port 8765 & server=$$!; \
	until curl -sf http://127.0.0.1:8765/healthz >/dev/null; do sleep 1; done; \
	$(BIN)/locust -f eval/bench/locustfile.py --headless -u 16 -r 16 --host http://127.0.0.1:8765 --run-time 15m \
		--only-summary --csv eval/load; status=$$?; kill $$server; exit $$status

clean:
	rm -rf $(VENV) .regkb *.egg-info
