# coopgate. `make run` starts a demo gateway; `make test` runs every test.
GO ?= go

.PHONY: run test test-fast test-go e2e bench bench-growth build lint fuzz

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

fuzz: ## explore past the seed corpora (which `make test` runs): register import, the edge's text checks, every page input, the OAuth endpoints
	$(GO) test -run=NONE -fuzz=FuzzParse -fuzztime=60s ./internal/register/
	$(GO) test -run=NONE -fuzz=FuzzValidText -fuzztime=60s ./internal/server/
	$(GO) run ./internal/pgtest/withdb $(GO) test -run=NONE -fuzz='^FuzzPages$$' -fuzztime=60s ./internal/app/
	$(GO) run ./internal/pgtest/withdb $(GO) test -run=NONE -fuzz='^FuzzOAuthEndpoints$$' -fuzztime=60s ./internal/app/

bench: ## coopgate and panva's oidc-provider under the same load, ID tokens in RS256 then ES256: 10 s per scenario and a 60 s Monday morning (see docs/benchmarks.md); not part of test
	$(GO) run ./cmd/coopgate-bench -target both -algs RS256,ES256

bench-growth: ## code grant and userinfo with 1k people, then with 100k people and 1M stored tokens
	$(GO) run ./cmd/coopgate-bench -target coopgate -algs RS256 -scenarios userinfo,code -people 1000
	$(GO) run ./cmd/coopgate-bench -target coopgate -algs RS256 -scenarios userinfo,code -people 100000 -tokens 1000000
