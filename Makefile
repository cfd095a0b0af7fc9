# Two commands for a newcomer: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install fonts browser postgres console run test check eval bench drills clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# A Devanagari font for the Hindi labels of report charts (Debian/Ubuntu: fonts-noto-core). Skipped, with a
# note, where fonts cannot be installed: charts then carry English labels only.
fonts:
	@if fc-list 2>/dev/null | grep -qi "Noto Sans Devanagari"; then echo "fonts: Noto Sans Devanagari is installed"; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get install -y -q fonts-noto-core >/dev/null || echo "fonts: could not install fonts-noto-core; charts use English labels"; \
	else echo "fonts: skipped (needs root and apt-get: apt-get install fonts-noto-core); charts use English labels"; fi

# Debian's chromium for the console's browser tests (Playwright drives it; `playwright install` is never run), and
# the Devanagari font its pages need. Skipped, with a note, where apt-get or root is missing: those tests then skip.
browser: fonts
	@if [ -x /usr/bin/chromium ]; then echo "browser: /usr/bin/chromium is installed"; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		(apt-get install -y -q chromium >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)) \
		|| echo "browser: could not install chromium; the browser tests will be skipped"; \
	else echo "browser: skipped (needs root and apt-get: apt-get install chromium); the browser tests will be skipped"; fi

# The staff console on its own, at http://localhost:8090/console/ (accounts: exportbot staff set-password).
console: install
	$(BIN)/exportbot console
# PostgreSQL for the PostgreSQL store's tests (Debian 12: package postgresql, version 15). No server is set up here:
# `make test` starts a throwaway one itself, and skips those tests (saying so) where PostgreSQL is not installed.
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then \
		echo "postgres: PostgreSQL is installed"; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q postgresql >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null; } \
		|| echo "postgres: could not install postgresql; the PostgreSQL tests will be skipped"; \
	else echo "postgres: skipped (needs root and apt-get: apt-get install postgresql); the PostgreSQL tests will be skipped"; fi

# Terminal chat without TELEGRAM_BOT_TOKEN (env or .env); the Telegram bot with it.
run: install
	$(BIN)/exportbot run

test: install
	$(BIN)/exportbot kb check
	$(BIN)/python -m pytest

check: install
	$(BIN)/exportbot kb check

eval: install
	$(BIN)/python bench/answer_quality.py
	@for set in ../shared/eval/*.yaml; do echo "$$set:"; $(BIN)/python ../shared/tools/eval_questions.py $$set --quiet | tail -n 3; done

# Start-up and matcher speed (about 4 minutes, most of it the 50,000-entry knowledge base), then the real bot's
# throughput and latency beside a bare python-telegram-bot echo bot, on SQLite and (where PostgreSQL is installed,
# on a throwaway server it starts and stops) with 1 and 2 workers on PostgreSQL (about 2 minutes; one table). The broadcast
# benchmark is run by hand, see bench/README.md.
bench: install
	$(BIN)/python bench/startup_bench.py
	$(BIN)/python bench/matcher_bench.py
	$(BIN)/python bench/throughput_bench.py

# The failure drills in full (a few minutes; the suite runs reduced forms). Figures in docs/reliability.md.
drills: install
	$(BIN)/python -m tests.drills.kill_drill --kills 5 --burst 200
	$(BIN)/python -m tests.drills.kill_drill --kills 5 --burst 200 --telegram-webhook
	$(BIN)/python -m tests.drills.more_drills all

clean:
	rm -rf $(VENV) build *.egg-info
