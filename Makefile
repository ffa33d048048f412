# govsweep — every target installs what it needs, so `make demo` and `make test` work on a fresh machine.
VENV ?= .venv
PY := $(VENV)/bin/python
CHROMIUM := /usr/bin/chromium
STAMP := $(VENV)/.installed

.PHONY: setup chromium tools demo test lint format bench bench-all clean

setup: $(STAMP) chromium

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	# The simulated province (farm/) is a development tool kept out of the wheel: put the checkout
	# on the venv's path so `govsweep demo` and `govsweep farm` find it.
	$(PY) -c 'import pathlib, site; pathlib.Path(site.getsitepackages()[0], "govsweep-checkout.pth").write_text("$(CURDIR)\n")'
	touch $(STAMP)

# Debian's Chromium for the browser role (playwright's own browser download does not work here),
# and a CJK font so rendered pages and report charts show Chinese, not boxes.
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
chromium:
	@if [ ! -x $(CHROMIUM) ] || [ ! -f $(CJK_FONT) ]; then \
	  echo "installing Debian chromium and fonts-wqy-microhei"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei; \
	fi

# Debian's prometheus (promtool) and docker-compose, for the monitoring-stack test
# (tests/integration/test_prometheus.py): it scrapes a sweep and checks deploy/.
tools:
	@if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null \
	    || ! command -v docker-compose >/dev/null; then \
	  echo "installing Debian prometheus and docker-compose"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends prometheus docker-compose; \
	fi

demo: setup
	$(VENV)/bin/govsweep demo

test: setup tools
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/python -m pytest -q -rs -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# One table in under 15 minutes on the 2-core machine: govsweep vs Scrapy vs a bare loop, a sweep
# of the simulated province with every role as its own process, 1 vs 2 vs 4 crawlers.
bench: setup
	$(PY) -m pip install -q -e '.[dev,bench]'
	mkdir -p .govsweep
	$(PY) bench/bench_perf.py --json .govsweep/bench-perf.json

# Every benchmark in bench/, the long ones too (bench_scale.py alone takes about 11 minutes).
bench-all: setup
	$(PY) -m pip install -q -e '.[dev,bench]'
	for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .govsweep
