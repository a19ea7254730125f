package app_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/oauth2"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/register"
)

// membershipClaim is the claim as a relying party reads it.
type membershipClaim struct {
	Membership *struct {
		Class       string  `json:"class"`
		MemberSince *string `json:"member_since"`
		PaidUntil   *string `json:"paid_until"`
		Standing    string  `json:"standing"`
	} `json:"membership"`
}

// A relying party that asks for the coop scope gets the membership claim,
// in the ID token and at userinfo, from the register entry the member is
// linked to; one that does not ask gets none.
func TestTheMembershipClaim(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := apptest.Start(t)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	paid := time.Now().UTC().AddDate(0, 0, -3)
	err := database.InTx(ctx, g.App.Pool, func(tx pgx.Tx) error {
		admitted := time.Date(2019, 4, 1, 0, 0, 0, 0, time.UTC)
		e, err := register.Upsert(ctx, tx, register.Entry{MembershipNumber: "M-1", Name: "Ann", Emails: []string{ann.Email},
			Class: "Worker", AdmittedOn: &admitted, PaidUntil: &paid})
		if err != nil {
			return err
		}
		return people.LinkRegisterEntry(ctx, tx, ann.ID, e.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"class":"Worker","member_since":"2019-04-01","paid_until":"` + paid.Format(time.DateOnly) + `","standing":"in_grace"}`

	r := apptest.NewRP(t, g, "openid", "coop")
	f := apptest.NewFlow()
	tok, err := r.OAuth.Exchange(ctx, r.Code(t, apptest.Browser(t), f, ann.Email, ann.Password), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		t.Fatal(err)
	}
	var fromID membershipClaim
	if err := r.VerifyIDToken(t, tok, f.Nonce).Claims(&fromID); err != nil {
		t.Fatal(err)
	}
	info, err := r.Provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatal(err)
	}
	var fromUserinfo membershipClaim
	if err := info.Claims(&fromUserinfo); err != nil {
		t.Fatal(err)
	}
	for where, c := range map[string]membershipClaim{"ID token": fromID, "userinfo": fromUserinfo} {
		got, _ := json.Marshal(c.Membership)
		if string(got) != want {
			t.Errorf("%s: membership %s; want %s", where, got, want)
		}
	}

	plain := apptest.NewRP(t, g, "openid", "profile")
	f = apptest.NewFlow()
	tok, err = plain.OAuth.Exchange(ctx, plain.Code(t, apptest.Browser(t), f, ann.Email, ann.Password), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		t.Fatal(err)
	}
	var none membershipClaim
	if err := plain.VerifyIDToken(t, tok, f.Nonce).Claims(&none); err != nil || none.Membership != nil {
		t.Errorf("without the coop scope: %+v, %v; want no membership claim", none.Membership, err)
	}
}
