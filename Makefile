# chapterbot: `make run` to try it, `make test` to test it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
LOCALES := locales
PYBABEL := $(BIN)/pybabel

.PHONY: run test fuzz lint bench i18n-extract i18n-update i18n-compile db-upgrade clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(INSTALLED)

run: $(INSTALLED) i18n-compile
	$(BIN)/chapterbot run

test: $(INSTALLED)
	$(BIN)/ruff check bot tests benchmarks
	scripts/ensure-postgres
	$(BIN)/pytest

# The fuzz test at length (the suite runs a bounded number of examples).
fuzz: $(INSTALLED)
	CHAPTERBOT_FUZZ_EXAMPLES=100000 $(BIN)/pytest -q tests/test_fuzz.py

lint: $(INSTALLED)
	$(BIN)/ruff check bot tests benchmarks
	$(BIN)/ruff format --check bot tests benchmarks

bench: $(INSTALLED) i18n-compile
	$(BIN)/python benchmarks/bench_core.py
	$(BIN)/python benchmarks/bench_places.py
	$(BIN)/python benchmarks/bench_chapters.py
	$(BIN)/python benchmarks/bench_polls.py
	$(BIN)/python benchmarks/bench_schedules.py
	$(BIN)/python benchmarks/bench_telegram.py
	$(BIN)/python benchmarks/bench_matrix.py
	$(BIN)/python benchmarks/bench_feeds.py
	$(BIN)/python benchmarks/bench_outreach.py
	$(BIN)/python benchmarks/bench_drain.py
	$(BIN)/python benchmarks/bench_memory.py

db-upgrade: $(INSTALLED)
	$(BIN)/chapterbot db upgrade

# Catalogs: extract the English msgids, merge them into fr and nl, compile .mo files.
i18n-extract: $(INSTALLED)
	$(PYBABEL) extract -F babel.cfg -o $(LOCALES)/messages.pot --no-location --sort-output \
	  --add-comments=TRANSLATORS: --project=chapterbot --version=0.1 \
	  --copyright-holder=chapterbot --msgid-bugs-address=none bot

i18n-update: i18n-extract
	$(PYBABEL) update -i $(LOCALES)/messages.pot -d $(LOCALES) --no-fuzzy-matching --ignore-obsolete

i18n-compile: $(INSTALLED)
	$(PYBABEL) compile -d $(LOCALES) --statistics

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .cache
	find $(LOCALES) -name '*.mo' -delete
