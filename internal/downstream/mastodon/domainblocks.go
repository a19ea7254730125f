package mastodon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/coopgate/coopgate/internal/downstream"
)

// Mastodon's admin domain blocks (app/controllers/api/v1/admin/domain_blocks_controller.rb):
// list, create, update and delete, with the token scopes
// admin:read:domain_blocks and admin:write:domain_blocks and a role with
// the Manage Federation permission. go-mastodon has none of them, so they
// are plain HTTP. A create for a domain Mastodon already blocks, or covers
// with an equally strict block of a parent domain, answers 422 with that
// block, which CreateDomainBlock hands back as an *ExistingBlockError.

// DomainBlock is Mastodon's Admin::DomainBlock entity
// (app/serializers/rest/admin/domain_block_serializer.rb).
type DomainBlock struct {
	ID             string    `json:"id"`
	Domain         string    `json:"domain"`
	Digest         string    `json:"digest"`
	CreatedAt      time.Time `json:"created_at"`
	Severity       string    `json:"severity"` // silence, suspend or noop
	RejectMedia    bool      `json:"reject_media"`
	RejectReports  bool      `json:"reject_reports"`
	PrivateComment *string   `json:"private_comment"`
	PublicComment  *string   `json:"public_comment"`
	Obfuscate      bool      `json:"obfuscate"`
}

// BlockParams is what a create or update sends (domain only on create).
type BlockParams struct {
	Domain         string `json:"domain,omitempty"`
	Severity       string `json:"severity"`
	RejectMedia    bool   `json:"reject_media"`
	RejectReports  bool   `json:"reject_reports"`
	PrivateComment string `json:"private_comment"`
	PublicComment  string `json:"public_comment"`
	Obfuscate      bool   `json:"obfuscate"`
}

// ExistingBlockError is Mastodon's refusal to create a block because one
// exists for the domain, or a parent domain's is at least as strict
// (REST::Admin::ExistingDomainBlockErrorSerializer).
type ExistingBlockError struct {
	Message  string
	Existing DomainBlock
}

func (e *ExistingBlockError) Error() string { return "mastodon: create domain block: " + e.Message }

// blocksPageSize is the most a page of the list may hold (limit_param's
// ceiling, twice the controller's LIMIT of 100).
const blocksPageSize = "200"

// DomainBlocks lists every domain block, following the Link header.
func (c *Client) DomainBlocks(ctx context.Context) ([]DomainBlock, error) {
	u := c.base.JoinPath("api/v1/admin/domain_blocks")
	u.RawQuery = url.Values{"limit": {blocksPageSize}}.Encode()
	var all []DomainBlock
	for range maxPages {
		var batch []DomainBlock
		header, err := c.getJSON(ctx, "list domain blocks", u, &batch)
		if err != nil {
			return nil, explainBlocks(err)
		}
		all = append(all, batch...)
		next, ok := nextPage(header)
		if !ok || len(batch) == 0 {
			return all, nil
		}
		u.RawQuery = next
	}
	return nil, downstream.Refused(name, "list domain blocks", "too many pages of domain blocks; stopped")
}

// CreateDomainBlock creates a block. Mastodon's refusal because the domain
// is blocked already comes back as an *ExistingBlockError.
func (c *Client) CreateDomainBlock(ctx context.Context, p BlockParams) (DomainBlock, error) {
	var out DomainBlock
	resp, err := c.sendBlock(ctx, "create domain block", http.MethodPost, c.base.JoinPath("api/v1/admin/domain_blocks"), p)
	if err != nil {
		return out, err
	}
	if resp.StatusCode == http.StatusUnprocessableEntity {
		if existing, ok := existingBlock(resp); ok {
			return out, existing
		}
	}
	return out, explainBlocks(downstream.ReadJSON(name, "create domain block", resp, &out))
}

// UpdateDomainBlock changes block id to p (its domain stays).
func (c *Client) UpdateDomainBlock(ctx context.Context, id string, p BlockParams) (DomainBlock, error) {
	p.Domain = ""
	var out DomainBlock
	resp, err := c.sendBlock(ctx, "update domain block", http.MethodPut, c.base.JoinPath("api/v1/admin/domain_blocks", id), p)
	if err != nil {
		return out, err
	}
	return out, explainBlocks(downstream.ReadJSON(name, "update domain block", resp, &out))
}

// DeleteDomainBlock lifts block id. A block that is gone already counts as lifted.
func (c *Client) DeleteDomainBlock(ctx context.Context, id string) error {
	resp, err := c.sendBlock(ctx, "delete domain block", http.MethodDelete, c.base.JoinPath("api/v1/admin/domain_blocks", id), nil)
	if err != nil {
		return err
	}
	err = downstream.ReadJSON(name, "delete domain block", resp, nil)
	if downstream.IsStatus(err, http.StatusNotFound) {
		return nil
	}
	return explainBlocks(err)
}

// sendBlock makes one call without the refusing transport, so that a 422's
// body (the existing block) can be read; the caller classifies the answer.
func (c *Client) sendBlock(ctx context.Context, op, method string, u *url.URL, body any) (*http.Response, error) {
	var payload io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("mastodon: %s: %w", op, err)
		}
		payload = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), payload)
	if err != nil {
		return nil, downstream.NetworkError(name, op, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", downstream.UserAgent)
	resp, err := c.plain.Do(req)
	if err != nil {
		return nil, downstream.NetworkError(name, op, err)
	}
	return resp, nil
}

// existingBlock reads a 422 that carries the block in the way; it closes
// the body when it does.
func existingBlock(resp *http.Response) (*ExistingBlockError, bool) {
	var body struct {
		Error    string       `json:"error"`
		Existing *DomainBlock `json:"existing_domain_block"`
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if json.Unmarshal(data, &body) != nil || body.Existing == nil {
		resp.Body = io.NopCloser(bytes.NewReader(data))
		return nil, false
	}
	return &ExistingBlockError{Message: body.Error, Existing: *body.Existing}, true
}

// explainBlocks says what to change when Mastodon refuses the token for
// domain blocks: their scopes and permission differ from the accounts'.
func explainBlocks(err error) error {
	de := downstream.AsError(err)
	switch {
	case de == nil:
		return err
	case de.Status == http.StatusUnauthorized:
		explain(de)
	case de.Status == http.StatusForbidden && de.Message == outsideScopes:
		de.Fix = "give coopgate's application the scopes admin:read:domain_blocks and admin:write:domain_blocks " +
			"(Mastodon: Preferences → Development → the application), then use its new access token"
	case de.Status == http.StatusForbidden && de.Message == notAllowed:
		de.Fix = "the token's user needs a role with the Manage Federation permission (Admin or Owner)"
	}
	return err
}

// IsExistingBlock says err is Mastodon's "already blocked" answer, and gives it.
func IsExistingBlock(err error) (*ExistingBlockError, bool) {
	var e *ExistingBlockError
	return e, errors.As(err, &e)
}
