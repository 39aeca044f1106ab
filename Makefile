# framecast builds. `make release` cross-compiles static binaries for the
# Raspberry Pi and PCs into dist/, with the version stamped in.

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/framecast/framecast/internal/server.Version=$(VERSION)
GOFLAGS_RELEASE := -trimpath -buildvcs=false -ldflags '$(LDFLAGS)'

# name GOOS GOARCH GOARM: Pi 1 and Zero (v6), Pi 2 and 32-bit OS on 3/4/5
# (v7), 64-bit Pi OS (arm64), PCs (amd64).
TARGETS := \
	linux-amd64:linux:amd64: \
	linux-arm64:linux:arm64: \
	linux-armv7:linux:arm:7 \
	linux-armv6:linux:arm:6

.PHONY: build release clean

build:
	CGO_ENABLED=0 go build $(GOFLAGS_RELEASE) -o framecast ./cmd/framecast

release:
	rm -rf dist && mkdir -p dist
	@set -e; for t in $(TARGETS); do \
		name=$${t%%:*}; rest=$${t#*:}; os=$${rest%%:*}; rest=$${rest#*:}; arch=$${rest%%:*}; arm=$${rest#*:}; \
		echo "dist/framecast-$(VERSION)-$$name"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch GOARM=$$arm \
			go build $(GOFLAGS_RELEASE) -o dist/framecast-$(VERSION)-$$name ./cmd/framecast; \
	done
	cp deploy/framecast.service deploy/framecast.yaml dist/
	cd dist && sha256sum framecast-* framecast.service framecast.yaml > SHA256SUMS

clean:
	rm -rf dist framecast
