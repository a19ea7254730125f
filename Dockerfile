# syntax=docker/dockerfile:1
# coopgate: one static binary on a minimal base, running as a non-root user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/coopgate ./cmd/coopgate

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/coopgate /usr/local/bin/coopgate
USER nonroot:nonroot
EXPOSE 8080 9090
# distroless has no shell or curl: the binary checks its own readiness.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/coopgate", "healthcheck", "--url", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["/usr/local/bin/coopgate"]
CMD ["serve", "--config", "/etc/coopgate/coopgate.yaml"]
