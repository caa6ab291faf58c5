# Entry points: `make demo` (the main job), `make test` (build + every test), `make test-fast`
# (build + the unit tests, under a minute), `make build`. CTEST_ARGS picks a subset, e.g.
# CTEST_ARGS="-L e2e" or CTEST_ARGS="-R SweepE2E" (tests/README.md).
BUILD ?= build
JOBS ?= $(shell nproc)
BUILD_TYPE ?= Release
CTEST_ARGS ?=

.PHONY: setup configure build test test-fast demo format check-format clean
.DEFAULT_GOAL := build

setup:
	@bash scripts/setup.sh > $(BUILD).venv.tmp && mkdir -p $(BUILD) && mv $(BUILD).venv.tmp $(BUILD)/venv_path

configure: setup
	@venv=$$(tail -1 $(BUILD)/venv_path); \
	prefix=$$($$venv/bin/python -c 'import torch.utils; print(torch.utils.cmake_prefix_path)'); \
	if [ ! -f $(BUILD)/build.ninja ]; then \
	  cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DCMAKE_PREFIX_PATH="$$prefix" \
	    -DSCALELAB_PYTHON=$$venv/bin/python; \
	fi

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

test-fast: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit $(CTEST_ARGS)

# The demo needs the binary alone, not the tests: a fresh clone builds about half as much.
demo: configure
	@cmake --build $(BUILD) -j $(JOBS) --target scalelab
	@bash experiments/demo/run.sh

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.h' '*.cu')

check-format:
	@bash scripts/check_format.sh

clean:
	rm -rf $(BUILD)
