# Two set-up commands: `make demo` and `make test`. Both create .venv when it is missing.
# `make lab` opens the researcher's workspace: JupyterLab on notebooks/ with the kit's kernel.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: demo test test-all venv clean-venv benchmarks lab docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip

# A stamp per install flavour; reinstall when the package metadata changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,dask,docs]'
	touch $@ $(VENV)/.installed $(VENV)/.installed-docs

$(VENV)/.installed-docs: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-lab: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[lab]'
	touch $@ $(VENV)/.installed

venv: $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/maturity demo

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Everything, including tests marked slow.
test-all: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m "slow or not slow" $(PYTEST_ARGS)

# JupyterLab on notebooks/ (local only: 127.0.0.1), the kit's kernel registered in the venv
# as "Python (maturity)". LAB_ARGS passes options on, e.g. LAB_ARGS="--port=8890 --no-browser".
# (Jupyter refuses to run as root unless told: containers often are root.)
LAB_ARGS ?=
lab: $(VENV)/.installed-lab
	$(BIN)/python -m ipykernel install --sys-prefix --name maturity --display-name "Python (maturity)" >/dev/null
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)/notebooks" --ServerApp.ip=127.0.0.1 \
		$(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# The documentation site, built in strict mode (a broken link or a warning fails) into site/
# (git-ignored); the command reference is generated from the parser (docs/hooks.py).
docs: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet
	@echo "documentation site: $(CURDIR)/site/index.html"

benchmarks: $(VENV)/.installed-test
	for f in benchmarks/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean-venv:
	rm -rf $(VENV)
