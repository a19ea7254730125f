# coopgate. `make run` starts a demo gateway; `make test` runs every test.
GO ?= go

.PHONY: run test test-fast test-go e2e bench build lint fuzz

run: ## a demo gateway with its own PostgreSQL and a sample relying party
	$(GO) run ./cmd/coopgate dev

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/coopgate ./cmd/coopgate

test: test-go e2e ## everything: Go tests on real PostgreSQL, then the browser journeys

test-fast: test-go ## the Go tests only, for quick local loops

test-go:
	$(GO) vet ./...
	$(GO) run ./internal/pgtest/withdb $(GO) test -count=1 ./...

e2e: ## the browser journeys: Chromium through sign-up, approval, policies and login (screenshots in e2e/artifacts/)
	GO=$(GO) ./e2e/run

fuzz:
	$(GO) test -run=NONE -fuzz=FuzzParse -fuzztime=60s ./internal/register/

bench:
	$(GO) run ./cmd/coopgate-bench -target both
