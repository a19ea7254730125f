package mastodon

import (
	"context"
	"net/http"
	"net/url"

	"github.com/coopgate/coopgate/internal/downstream"
)

var _ downstream.Checker = (*Client)(nil)

// Check tries what coopgate's token must be able to do, changing nothing:
// a one-account read of the admin list (scope admin:read:accounts, role
// with Manage Users), and an approval of an account that cannot exist.
// Mastodon checks the token's scope before it looks the account up
// (authorize_if_got_token! runs before set_account in
// app/controllers/api/v1/admin/accounts_controller.rb), so "Record not
// found" proves admin:write:accounts and "outside the authorized scopes"
// its lack.
func (c *Client) Check(ctx context.Context) ([]downstream.Finding, error) {
	read := downstream.Finding{Setting: "token: admin:read:accounts, role with Manage Users", Value: "works"}
	u := c.base.JoinPath("api/v2/admin/accounts")
	u.RawQuery = url.Values{"origin": {"local"}, "limit": {"1"}}.Encode()
	if _, err := c.getJSON(ctx, "read the account list", u, &[]AdminAccount{}); err != nil {
		if de := downstream.AsError(err); de == nil || de.Status == 0 {
			return nil, err // unreachable: nothing to judge
		}
		read.Value, read.Verdict, read.Note = "refused", downstream.Change, refusalNote(err)
	}
	write := downstream.Finding{Setting: "token: admin:write:accounts", Value: "works"}
	err := c.postForm(ctx, "try an approval", c.base.JoinPath("api/v1/admin/accounts", "0", "approve"), url.Values{})
	if !downstream.IsStatus(err, http.StatusNotFound) {
		write.Value, write.Verdict, write.Note = "refused", downstream.Change, refusalNote(err)
	}
	rank := downstream.Finding{Setting: "role rank", Verdict: downstream.Look,
		Note: "Mastodon lets the token's user suspend only accounts of a lower role: use an Owner's or Admin's token, and suspend staff by hand"}
	return append([]downstream.Finding{read, write, rank}, c.checkDomainBlocks(ctx)...), nil
}

// checkDomainBlocks tries what applying the co-op's federation decisions
// needs: a one-block read of the list (admin:read:domain_blocks, and the
// Manage Federation permission, which the index checks), and a delete of a
// block that cannot exist (admin:write:domain_blocks: the scope is checked
// before the block is looked up, so "Record not found" proves it).
func (c *Client) checkDomainBlocks(ctx context.Context) []downstream.Finding {
	read := downstream.Finding{Setting: "token: admin:read:domain_blocks, role with Manage Federation", Value: "works"}
	u := c.base.JoinPath("api/v1/admin/domain_blocks")
	u.RawQuery = url.Values{"limit": {"1"}}.Encode()
	if _, err := c.getJSON(ctx, "read the domain blocks", u, &[]DomainBlock{}); err != nil {
		read.Value, read.Verdict, read.Note = "refused", downstream.Change, refusalNote(explainBlocks(err))
	}
	write := downstream.Finding{Setting: "token: admin:write:domain_blocks", Value: "works"}
	resp, err := c.sendBlock(ctx, "try a domain block deletion", http.MethodDelete, c.base.JoinPath("api/v1/admin/domain_blocks", "0"), nil)
	if err == nil {
		err = downstream.ReadJSON(name, "try a domain block deletion", resp, nil)
	}
	switch {
	case err == nil:
		write.Value, write.Verdict, write.Note = "unexpected answer", downstream.Change,
			"Mastodon deleted a block that cannot exist; is base_url right?"
	case !downstream.IsStatus(err, http.StatusNotFound):
		write.Value, write.Verdict, write.Note = "refused", downstream.Change, refusalNote(explainBlocks(err))
	}
	return []downstream.Finding{read, write}
}

func refusalNote(err error) string {
	if de := downstream.AsError(err); de != nil && de.Fix != "" {
		return de.Message + ": " + de.Fix
	}
	if err == nil {
		return "Mastodon approved an account that cannot exist; is base_url right?"
	}
	return err.Error()
}
