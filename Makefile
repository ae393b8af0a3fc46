# Bastion's entry points on a fresh Debian 12 machine. Every target runs without standard input
# or prompts, as root or as a user with passwordless sudo (see scripts/install-deps.sh).
#
#   make serve    install missing packages, build, start Bastion
#   make test     install missing packages, build release and asan presets, run every test
#   make build    install missing packages (build set), build the bastion binary (release)
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
	cmake --build --preset release -j$(JOBS) --target bastion

# `make serve` initialises a local instance in var/ on first run (local CA, server certificate,
# an administrator whose random password is printed once) and serves it: DICOM over TLS on port
# 2762. Later runs reuse var/. DATA_DIR and AE_TITLE override the defaults.
DATA_DIR ?= var
AE_TITLE ?= BASTION
serve: build
	@if [ ! -f "$(DATA_DIR)/bastion.toml" ]; then $(BASTION) init --dir "$(DATA_DIR)" --ae-title "$(AE_TITLE)"; fi
	exec $(BASTION) serve --dir "$(DATA_DIR)"

test: deps-test
	scripts/run-tests.sh

format: deps-dev
	find $(FORMAT_DIRS) -type f \( -name '*.h' -o -name '*.cc' \) -print0 | xargs -0 -r clang-format -i

format-check: deps-dev
	find $(FORMAT_DIRS) -type f \( -name '*.h' -o -name '*.cc' \) -print0 | xargs -0 -r clang-format --dry-run -Werror

clean:
	rm -rf build
