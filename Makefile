# Two commands for a newcomer: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test check eval bench drills clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Terminal chat without TELEGRAM_BOT_TOKEN (env or .env); the Telegram bot with it.
run: install
	$(BIN)/exportbot run

test: install
	$(BIN)/exportbot kb check
	$(BIN)/python -m pytest

check: install
	$(BIN)/exportbot kb check

eval: install
	$(BIN)/python ../shared/tools/eval_questions.py ../shared/eval/dev_questions.yaml

# Start-up and matcher speed (a few seconds; the broadcast benchmark is run by hand, see bench/README.md).
bench: install
	$(BIN)/python bench/startup_bench.py
	$(BIN)/python bench/matcher_bench.py

# The failure drills in full (a few minutes; the suite runs reduced forms). Figures in docs/reliability.md.
drills: install
	$(BIN)/python -m tests.drills.kill_drill --kills 5 --burst 200
	$(BIN)/python -m tests.drills.kill_drill --kills 5 --burst 200 --telegram-webhook
	$(BIN)/python -m tests.drills.more_drills all

clean:
	rm -rf $(VENV) build *.egg-info
