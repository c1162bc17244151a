# regkb: two commands on a fresh machine.
#   make demo   set up .venv, build the embedding model, ingest the shared corpus, show a search
#   make test   set up .venv and run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORPUS ?= ../shared/corpus/seeds ../shared/corpus/laws
QUESTION ?= 生产经营单位主要负责人有哪些安全生产职责
export HAYSTACK_TELEMETRY_ENABLED := False

.PHONY: setup model demo test eval bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, pinned: an unpinned torch pulls a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed

model: setup
	$(BIN)/regkb model build

demo: model
	$(BIN)/regkb ingest $(CORPUS)
	$(BIN)/regkb documents
	$(BIN)/regkb search "$(QUESTION)" -k 3

test: model
	$(BIN)/python -m pytest -q

eval: setup
	$(BIN)/regkb eval

bench: setup
	$(BIN)/python -m regkb.eval.bench

clean:
	rm -rf $(VENV) .regkb *.egg-info
