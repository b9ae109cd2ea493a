# The two commands: `make run` and `make test`. Everything else is meson.
BUILD ?= build
VSWD_ARGS ?=

.PHONY: run test deps hugepages build clean unit asan integration fuzz

deps:
	@tools/setup/deps.sh

hugepages:
	@tools/setup/hugepages.sh

build: deps
	@tools/setup/build.sh $(BUILD)
	@ln -sf $(CURDIR)/$(BUILD)/tools/vswctl /usr/local/bin/vswctl 2>/dev/null || true

run: build hugepages
	exec $(BUILD)/src/vswd $(VSWD_ARGS)

test: build hugepages
	@tests/run_all.sh

unit: build
	@tests/run_all.sh unit

asan: build
	@tests/run_all.sh asan

integration: build hugepages
	@tests/run_all.sh integration

fuzz: build
	@tests/run_all.sh fuzz

clean:
	rm -rf build build-asan build-fuzz
