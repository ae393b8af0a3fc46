# Bastion's entry points on a fresh Debian 12 machine. Every target runs without standard input
# or prompts, as root or as a user with passwordless sudo (see scripts/install-deps.sh).
#
#   make serve    install missing packages, build, start Bastion
#   make test     install missing packages, build release and asan presets, run every test
#   make build    install missing packages (build set), build the release preset
#   make format   clang-format -i over src apps tests fuzz bench
#   make clean    remove build/
#
# Variables: JOBS (parallel build/test jobs, default: number of cores), PRESETS (for `make
# test`, default "release asan"), BASTION_SKIP_DEPS=1 (skip the package check).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PRESETS ?= release asan
BASTION := build/release/apps/bastion/bastion
FORMAT_DIRS := $(wildcard src apps tests fuzz bench)

export JOBS PRESETS

.PHONY: help deps deps-test deps-dev build serve test format format-check clean

help:
	@sed -n '4,11p' $(firstword $(MAKEFILE_LIST)) | sed 's/^# \{0,1\}//'

deps:
	@scripts/install-deps.sh build

deps-test:
	@scripts/install-deps.sh build test

deps-dev:
	@scripts/install-deps.sh dev

build: deps
	cmake --preset release
	cmake --build --preset release -j$(JOBS)

# Until the server exists, `make serve` proves the build works by dumping a sample file with the
# codec CLI, so the command is never broken. When `bastion init` and `bastion serve` land, this
# is a two-line change: replace the two recipe lines below with
#	$(BASTION) init --data-dir var
#	exec $(BASTION) serve --data-dir var
# (var/ is already in .gitignore).
serve: build
	@echo "make serve: the server is not implemented yet; dumping a sample file with the codec CLI."
	sample=$$(scripts/sample-file.sh) && $(BASTION) dump "$$sample"

test: deps-test
	scripts/run-tests.sh

format: deps-dev
	find $(FORMAT_DIRS) -type f \( -name '*.h' -o -name '*.cc' \) -print0 | xargs -0 -r clang-format -i

format-check: deps-dev
	find $(FORMAT_DIRS) -type f \( -name '*.h' -o -name '*.cc' \) -print0 | xargs -0 -r clang-format --dry-run -Werror

clean:
	rm -rf build
