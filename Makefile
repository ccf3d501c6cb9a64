# techmatch — the targets people and CI use. Everything installs into .venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOME_DIR ?= ./techmatch-data
PORT ?= 8000
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export OMP_NUM_THREADS ?= 1

.PHONY: install es-dist run test test-fast lint typecheck bench bench-1m eval clean fonts system

install: system $(STAMP)

# Debian packages the tests and reports need, installed when run as root (CI runs as root):
# a CJK font for Chinese labels in PNGs, Chromium + its driver for the console's browser tests,
# PostgreSQL for the store contract suite, wrk for bench/api_load.py's lean load-generator row.
# Each is checked first so a warm machine skips apt.
SYSTEM_PKGS := fonts-noto-cjk fontconfig chromium chromium-driver postgresql wrk
system:
	@missing=""; for p in $(SYSTEM_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "apt-get install$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "warning: as root, make would install:$$missing (apt)"; fi; \
	fi

fonts: system

# torch is pinned to the CPU build first so sentence-transformers does not pull a CUDA build.
# setup.py builds the compiled segmenter (techmatch/indexers/_jiebafast.c) and the key-term
# cover's search (techmatch/matcher/_textmask.c) and the set-overlap counts
# (techmatch/matcher/_overlap.c): a change reinstalls
$(STAMP): pyproject.toml setup.py techmatch/indexers/_jiebafast.c techmatch/matcher/_textmask.c \
		techmatch/matcher/_overlap.c
	@$(MAKE) --no-print-directory system
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "torch==2.13.0" || $(BIN)/python -m pip install -q torch --index-url https://download.pytorch.org/whl/cpu
	$(BIN)/python -m pip install -q -e ".[st,test]"
	touch $(STAMP)

run: install
	$(BIN)/techmatch demo --home $(HOME_DIR) --port $(PORT)

# Elasticsearch 9.x for the backend's tests: Elastic's integration-test zip from Maven Central
# (cached in the local Maven repository), unpacked once into $(ES_CACHE); tests/services/ starts it
ES_VERSION ?= 9.2.0
ES_CACHE ?= /var/tmp/techmatch-es
es-dist: $(STAMP)
	TECHMATCH_ES_VERSION=$(ES_VERSION) TECHMATCH_ES_CACHE=$(ES_CACHE) $(BIN)/python tests/services/es_cluster.py fetch

# --dist loadgroup: the Elasticsearch tests share one xdist worker and one node
test: install es-dist
	TECHMATCH_ES_VERSION=$(ES_VERSION) TECHMATCH_ES_CACHE=$(ES_CACHE) $(BIN)/python -m pytest -q -n 2 --dist loadgroup --durations=15

test-fast: install es-dist
	TECHMATCH_ES_VERSION=$(ES_VERSION) TECHMATCH_ES_CACHE=$(ES_CACHE) $(BIN)/python -m pytest -q -n 2 --dist loadgroup -m "not slow"

lint: install
	$(BIN)/ruff check techmatch tests bench

typecheck: install
	$(BIN)/mypy techmatch

bench: install
	$(BIN)/python bench/encode_bench.py
	$(BIN)/python bench/index_bench.py

# Scale benchmark, never part of `make test`: csl-kw-dev encoded once (its vectors seed the
# synthetic 1M corpus), records + mixture vectors generated and the bm25s peer prepared
# (untimed, niced), then the timed steps — the index build from cached vectors and the bench —
# at normal priority, one timed job at a time under $(BENCH_LOCK) (a shared machine passes
# its own lock file). Results: bench/results/scale_1m.md.
BENCH_1M ?= /tmp/techmatch-1m
BENCH_LOCK ?= /tmp/techmatch-bench.lock
bench-1m: install
	TECHMATCH_CACHE_DIR=$(BENCH_1M)/dev-cache $(BIN)/techmatch eval --dataset ../shared/eval/csl-kw-dev --split dev --home $(BENCH_1M)/dev-home --retrievers dense --out $(BENCH_1M)/dev-eval
	rm -rf $(BENCH_1M)/home $(BENCH_1M)/cache $(BENCH_1M)/bm25s
	nice -n 15 $(BIN)/python bench/build_1m.py --out $(BENCH_1M) --source-cache $(BENCH_1M)/dev-cache --step generate
	nice -n 15 $(BIN)/python bench/bench_1m.py --out-dir $(BENCH_1M) --prepare-bm25s
	flock $(BENCH_LOCK) $(BIN)/python bench/build_1m.py --out $(BENCH_1M) --source-cache $(BENCH_1M)/dev-cache --step sync
	flock $(BENCH_LOCK) $(BIN)/python bench/bench_1m.py --out-dir $(BENCH_1M)

eval: install
	$(BIN)/techmatch eval --dataset ../shared/eval/csl-kw-dev --split dev --home $(HOME_DIR)
	$(BIN)/techmatch eval --dataset ../shared/eval/csl-title-dev --split dev --home $(HOME_DIR)

clean:
	rm -rf $(VENV) $(HOME_DIR) .pytest_cache
