# studio: screenshots and packaging. Tests: scripts/test.sh.

SHELL := /bin/bash
export LANG := en_US.UTF-8
# go-aac's SIMD kernels, as every build of studio uses (see README).
export GOFLAGS := -tags=goaac_simd
# The second screenshot (1024x640) is for checking the layout; only
# docs/screenshot.png is committed.
SHOTDIR ?= /tmp/studio-screenshots
FYNE ?= $(shell go env GOPATH)/bin/fyne
FYNE_TOOLS_VERSION := v1.7.0

.PHONY: screenshot health-screenshots cpu package fyne-cli

# Runs the real window under Xvfb, live to a local nginx-rtmp with the test
# pattern (cmd/studio TestScreenshot), at 1280x800 and 1024x640.
screenshot:
	STUDIO_WINDOW_SIZE=1280x800 STUDIO_SCREENSHOT=$(CURDIR)/docs/screenshot.png \
	  xvfb-run -a -s "-screen 0 1280x800x24" \
	  go test ./cmd/studio -run '^TestScreenshot$$' -count=1 -v
	rm -f docs/screenshot-1s-later.png
	STUDIO_WINDOW_SIZE=1024x640 STUDIO_SCREENSHOT=$(SHOTDIR)/screenshot-1024x640.png \
	  xvfb-run -a -s "-screen 0 1024x640x24" \
	  go test ./cmd/studio -run '^TestScreenshot$$' -count=1 -v

# The window in each state of health (good, network, encoder, audio,
# server), each provoked for real (cmd/studio TestHealthScreenshots; the
# shaped link needs root), into $(SHOTDIR)/health-*.png.
health-screenshots:
	STUDIO_HEALTH_SHOTS=$(SHOTDIR) xvfb-run -a -s "-screen 0 1280x800x24" \
	  go test ./cmd/studio -run '^TestHealthScreenshots$$' -count=1 -v -timeout 10m

# Also reports the window's and headless mode's CPU use over 20 s.
cpu:
	STUDIO_MEASURE_CPU=1 STUDIO_WINDOW_SIZE=1280x800 STUDIO_SCREENSHOT=$(SHOTDIR)/cpu.png \
	  xvfb-run -a -s "-screen 0 1280x800x24" \
	  go test ./cmd/studio -run '^TestScreenshot$$' -count=1 -v -timeout 5m

fyne-cli:
	# go install ...@version fails on this proxy (no version list): build
	# the CLI from a scratch module instead.
	test -x $(FYNE) || (d=$$(mktemp -d) && cd $$d && go mod init fynecli && \
	  go get fyne.io/tools/cmd/fyne@$(FYNE_TOOLS_VERSION) && go install fyne.io/tools/cmd/fyne)

# Builds studio.tar.xz (Linux: binary, icon, .desktop file) with the fyne
# CLI, from FyneApp.toml at the repository root.
package: fyne-cli
	$(FYNE) package --target linux --src cmd/studio --icon $(CURDIR)/assets/icon.png \
	  --name studio --app-id io.studio.app --app-version $$(sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
