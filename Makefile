# 匠星 Jiangxing — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run serve test setup browser-deps bench clean simulate

# A virtualenv with the app and its test tools, rebuilt when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# Browser libraries (socket.io client, ECharts, Swagger UI) from npm, exactly as locked.
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.installed node_modules/.installed

# Set up, migrate the embedded SQLite database, load the demo once, serve on 127.0.0.1:5000.
run: setup
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	@echo ""
	@echo "  匠星 Jiangxing is starting:"
	@echo "    竞赛列表 Contests      http://$(HOST):$(PORT)/"
	@echo "    演示赛排名 Demo boards http://$(HOST):$(PORT)/contests/DEMO-EA"
	@echo "                           http://$(HOST):$(PORT)/contests/DEMO-ES  (闯关 level progress)"
	@echo "    API                    http://$(HOST):$(PORT)/api/v1/contests"
	@$(FLASK) demo-links --base http://$(HOST):$(PORT)
	@echo "    模拟比赛 Simulate: in another terminal, \`make simulate\` (referees and contestants via the API)"
	@echo ""
	$(FLASK) run --host $(HOST) --port $(PORT)

# The production server for a real contest: gevent (one greenlet per connection) instead of
# Flask's development server (one thread per connection). Same database and demo as `make run`.
serve: setup
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	JX_SOCKETIO_ASYNC_MODE=gevent $(PY) wsgi.py --host $(HOST) --port $(PORT)

# Simulated referees and contestants drive the demo through the API of the server `make run` started.
CONTEST ?= DEMO-ES
simulate: setup
	$(FLASK) simulate $(CONTEST) --base http://$(HOST):$(PORT)

# Debian's Chromium and CJK fonts for the browser tests (Playwright cannot download a browser here).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then \
	  echo "installing chromium and fonts-noto-cjk for browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk; \
	fi

# Everything: domain, web, migrations, import contracts, browser tests; SQLite and PostgreSQL.
test: setup browser-deps
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) bench/replay.py
	$(PY) bench/board_update.py
	$(PY) bench/mark_cpu.py
	$(PY) bench/live.py
	$(PY) bench/severity.py
	$(PY) bench/profiles.py
	$(PY) bench/matching.py

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache .hypothesis
