package mastodontest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/idna"

	"github.com/coopgate/coopgate/internal/downstream/downstreamtest"
)

// The admin domain blocks, as Mastodon 4.x serves them:
//   - app/controllers/api/v1/admin/domain_blocks_controller.rb: the scopes
//     (admin:read:domain_blocks for index and show, admin:write:domain_blocks
//     for the rest, checked before the block is looked up), the Manage
//     Federation permission (DomainBlockPolicy), the index newest first in
//     pages of `limit` (default 100, at most 200) with Link rel="next" when a
//     page is full, and create's refusal: 422 with
//     REST::Admin::ExistingDomainBlockErrorSerializer when DomainBlock.rule_for
//     finds a block of the domain itself, or of a parent domain that the new
//     block is not stricter than (conflicts_with_existing_block?);
//   - app/serializers/rest/admin/domain_block_serializer.rb: the entity;
//   - app/models/domain_block.rb: severity silence (the default), suspend or
//     noop, validated (enum … validate: true), rule_for and stricter_than?;
//     noop with reject_media is a block that only drops media;
//   - app/models/concerns/domain_normalizable.rb and TagManager#normalize_domain:
//     the domain is stored lower-case, in punycode;
//   - app/validators/domain_validator.rb: labels of 1–63 of a-z, 0-9 and
//     "-", under 256 characters in all, so "*.example.com" is invalid;
//   - app/controllers/concerns/api/error_handling.rb: RecordInvalid answers
//     422 {"error": "Validation failed: …"}, RecordNotFound 404.

// DomainBlock is a domain block as the fake stores it.
type DomainBlock struct {
	ID             string
	Domain         string
	CreatedAt      time.Time
	Severity       string // silence, suspend or noop
	RejectMedia    bool
	RejectReports  bool
	PrivateComment *string
	PublicComment  *string
	Obfuscate      bool
}

func (s *Server) domainBlockRoutes(mux *http.ServeMux) {
	read, write := []string{"admin:read", "admin:read:domain_blocks"}, []string{"admin:write", "admin:write:domain_blocks"}
	mux.Handle("GET /api/v1/admin/domain_blocks", s.guardFederation(read, s.listBlocks))
	mux.Handle("GET /api/v1/admin/domain_blocks/{id}", s.guardFederation(read, s.showBlock))
	mux.Handle("POST /api/v1/admin/domain_blocks", s.guardFederation(write, s.createBlock))
	mux.Handle("PUT /api/v1/admin/domain_blocks/{id}", s.guardFederation(write, s.updateBlock))
	mux.Handle("PATCH /api/v1/admin/domain_blocks/{id}", s.guardFederation(write, s.updateBlock))
	mux.Handle("DELETE /api/v1/admin/domain_blocks/{id}", s.guardFederation(write, s.deleteBlock))
}

// guardFederation checks the token's scope first, then for show, update and
// delete finds the block (404 before the policy, as set_domain_block runs
// before the action authorizes), then the Manage Federation permission.
func (s *Server) guardFederation(scopes []string, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		granted := slices.ContainsFunc(scopes, func(sc string) bool { return slices.Contains(s.scopes, sc) })
		_, found := s.blocks[r.PathValue("id")]
		permitted := s.manageFederation
		s.mu.Unlock()
		switch {
		case !granted:
			mastodonError(w, http.StatusForbidden, "This action is outside the authorized scopes")
		case r.PathValue("id") != "" && !found:
			mastodonError(w, http.StatusNotFound, "Record not found")
		case !permitted:
			mastodonError(w, http.StatusForbidden, notAllowed)
		default:
			next(w, r)
		}
	})
}

func (s *Server) listBlocks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 100
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n != 0 {
		limit = min(abs(n), 200)
	}
	s.mu.Lock()
	var all []DomainBlock
	for _, b := range s.blocks {
		if q.Get("max_id") == "" || idLess(b.ID, q.Get("max_id")) {
			all = append(all, *b)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(all, func(a, b DomainBlock) int { return cmpID(b.ID, a.ID) })
	page := all[:min(limit, len(all))]
	out := []map[string]any{}
	for _, b := range page {
		out = append(out, blockEntity(b))
	}
	if len(page) == limit {
		w.Header().Set("Link", nextLink(r, page[len(page)-1].ID))
	}
	downstreamtest.WriteJSON(w, http.StatusOK, out)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func (s *Server) showBlock(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	b := *s.blocks[r.PathValue("id")]
	s.mu.Unlock()
	downstreamtest.WriteJSON(w, http.StatusOK, blockEntity(b))
}

func (s *Server) createBlock(w http.ResponseWriter, r *http.Request) {
	p, ok := blockParams(w, r)
	if !ok {
		return
	}
	b := DomainBlock{Severity: "silence"}
	raw, _ := p["domain"].(string)
	b.Domain = normalizeDomain(raw)
	applyParams(&b, p)
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.TrimSpace(raw) != "" {
		if existing := s.ruleFor(raw); existing != nil && (existing.Domain == b.Domain || !stricterThan(b, *existing)) {
			downstreamtest.WriteJSON(w, http.StatusUnprocessableEntity, map[string]any{
				"error":                 "You have already imposed stricter limits on " + existing.Domain + ".",
				"existing_domain_block": blockEntity(*existing),
			})
			return
		}
	}
	if msg := invalid(b, raw); msg != "" {
		mastodonError(w, http.StatusUnprocessableEntity, msg)
		return
	}
	s.lastBlockID++
	b.ID, b.CreatedAt = strconv.FormatInt(s.lastBlockID, 10), time.Now().UTC()
	s.blocks[b.ID] = &b
	downstreamtest.WriteJSON(w, http.StatusOK, blockEntity(b))
}

func (s *Server) updateBlock(w http.ResponseWriter, r *http.Request) {
	p, ok := blockParams(w, r)
	if !ok {
		return
	}
	delete(p, "domain") // domain_block_params does not permit it
	s.mu.Lock()
	defer s.mu.Unlock()
	b := *s.blocks[r.PathValue("id")]
	applyParams(&b, p)
	if msg := invalid(b, b.Domain); msg != "" {
		mastodonError(w, http.StatusUnprocessableEntity, msg)
		return
	}
	*s.blocks[b.ID] = b
	downstreamtest.WriteJSON(w, http.StatusOK, blockEntity(b))
}

func (s *Server) deleteBlock(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	delete(s.blocks, r.PathValue("id"))
	s.mu.Unlock()
	downstreamtest.WriteJSON(w, http.StatusOK, map[string]any{})
}

// blockParams reads the parameters as Rails does, from a JSON body or a
// form; a JSON body that does not parse is a 400.
func blockParams(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	p := map[string]any{}
	if ct == "application/json" {
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			mastodonError(w, http.StatusBadRequest, "Error occurred while parsing request parameters")
			return nil, false
		}
		return p, true
	}
	_ = r.ParseForm()
	for k, v := range r.Form {
		p[k] = v[0]
	}
	return p, true
}

// applyParams sets the permitted attributes that p carries.
func applyParams(b *DomainBlock, p map[string]any) {
	if v, ok := p["severity"]; ok {
		b.Severity, _ = v.(string)
		if v == nil {
			b.Severity = ""
		}
	}
	for key, field := range map[string]*bool{"reject_media": &b.RejectMedia, "reject_reports": &b.RejectReports, "obfuscate": &b.Obfuscate} {
		if v, ok := p[key]; ok {
			*field = castBool(v)
		}
	}
	for key, field := range map[string]**string{"private_comment": &b.PrivateComment, "public_comment": &b.PublicComment} {
		if v, ok := p[key]; ok {
			str, isString := v.(string)
			*field = nil
			if isString {
				*field = &str
			}
		}
	}
}

// castBool is ActiveModel::Type::Boolean: its FALSE_VALUES, and nil or ""
// for a NOT NULL DEFAULT false column, are false; anything else is true.
func castBool(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case float64:
		return v != 0
	case string:
		return !slices.Contains([]string{"", "0", "f", "F", "false", "FALSE", "off", "OFF"}, v)
	}
	return true
}

// invalid is the RecordInvalid message for b, or "" when it saves.
func invalid(b DomainBlock, raw string) string {
	var problems []string
	switch {
	case strings.TrimSpace(raw) == "":
		problems = append(problems, "Domain can't be blank")
	case !compliant(b.Domain):
		problems = append(problems, "Domain is invalid")
	}
	if !slices.Contains([]string{"silence", "suspend", "noop"}, b.Severity) {
		problems = append(problems, "Severity is not included in the list")
	}
	if len(problems) == 0 {
		return ""
	}
	return "Validation failed: " + strings.Join(problems, ", ")
}

var labelRE = regexp.MustCompile(`^[a-z0-9-]{1,63}$`)

// compliant is DomainValidator#compliant? on a normalized host.
func compliant(host string) bool {
	if host == "" || len(host) >= 256 {
		return false
	}
	for label := range strings.SplitSeq(host, ".") {
		if !labelRE.MatchString(label) {
			return false
		}
	}
	return true
}

// normalizeDomain is TagManager#normalize_domain: a trailing "/" dropped,
// then Addressable's normalized host (lower case, IDNA to punycode). A host
// IDNA refuses is kept as given, for the validator to refuse.
func normalizeDomain(raw string) string {
	host := strings.TrimSuffix(strings.TrimSpace(raw), "/")
	if ascii, err := idna.Lookup.ToASCII(host); err == nil {
		return ascii
	}
	return strings.ToLower(host)
}

// ruleFor is DomainBlock.rule_for: the block of the domain or of its
// nearest parent, with s.mu held.
func (s *Server) ruleFor(raw string) *DomainBlock {
	host := normalizeDomain(strings.ReplaceAll(raw, "/", ""))
	var best *DomainBlock
	for _, b := range s.blocks {
		if (host == b.Domain || strings.HasSuffix(host, "."+b.Domain)) && (best == nil || len(b.Domain) > len(best.Domain)) {
			best = b
		}
	}
	return best
}

// stricterThan is DomainBlock#stricter_than?.
func stricterThan(b, other DomainBlock) bool {
	switch {
	case b.Severity == "suspend":
		return true
	case other.Severity == "suspend" && (b.Severity == "silence" || b.Severity == "noop"):
		return false
	case other.Severity == "silence" && b.Severity == "noop":
		return false
	}
	return (b.RejectMedia || !other.RejectMedia) && (b.RejectReports || !other.RejectReports)
}

// blockEntity renders REST::Admin::DomainBlockSerializer.
func blockEntity(b DomainBlock) map[string]any {
	return map[string]any{
		"id": b.ID, "domain": b.Domain, "digest": digest(b.Domain),
		"created_at": b.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z"), "severity": b.Severity,
		"reject_media": b.RejectMedia, "reject_reports": b.RejectReports,
		"private_comment": b.PrivateComment, "public_comment": b.PublicComment, "obfuscate": b.Obfuscate,
	}
}

// AddDomainBlock stores a block as Mastodon's own admin UI would make it,
// by passing coopgate (drift), and returns it.
func (s *Server) AddDomainBlock(b DomainBlock) DomainBlock {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastBlockID++
	b.ID, b.Domain = strconv.FormatInt(s.lastBlockID, 10), normalizeDomain(b.Domain)
	if b.Severity == "" {
		b.Severity = "silence"
	}
	if b.CreatedAt.IsZero() {
		b.CreatedAt = time.Now().UTC()
	}
	s.blocks[b.ID] = &b
	return b
}

// DomainBlocks returns every block, by domain.
func (s *Server) DomainBlocks() []DomainBlock {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []DomainBlock
	for _, b := range s.blocks {
		out = append(out, *b)
	}
	slices.SortFunc(out, func(a, b DomainBlock) int { return strings.Compare(a.Domain, b.Domain) })
	return out
}

// DomainBlockFor returns the block of domain, if there is one.
func (s *Server) DomainBlockFor(domain string) (DomainBlock, bool) {
	for _, b := range s.DomainBlocks() {
		if b.Domain == domain {
			return b, true
		}
	}
	return DomainBlock{}, false
}

// SetManageFederation says whether the token's role has Manage Federation.
func (s *Server) SetManageFederation(ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.manageFederation = ok
}

// digest is DomainBlock#domain_digest.
func digest(domain string) string {
	sum := sha256.Sum256([]byte(domain))
	return hex.EncodeToString(sum[:])
}

// Do calls the fake's API with its token, as Mastodon's own admin pages
// change blocks behind coopgate's back; an answer other than 2xx is an error.
func (s *Server) Do(method, path, jsonBody string) error {
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(jsonBody))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	if jsonBody != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: HTTP %d", method, path, resp.StatusCode)
	}
	return nil
}
