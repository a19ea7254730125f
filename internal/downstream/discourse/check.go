package discourse

import (
	"context"
	"net/http"
	"strconv"

	"github.com/coopgate/coopgate/internal/downstream"
)

var _ downstream.Checker = (*Client)(nil)

// Check reads the site settings that decide whether Discourse takes
// coopgate's calls (GET /admin/site_settings.json, which needs an admin's
// key: Admin::SiteSettingsController#index), changing nothing.
func (c *Client) Check(ctx context.Context) ([]downstream.Finding, error) {
	var out struct {
		Settings []struct {
			Setting string `json:"setting"`
			Value   any    `json:"value"` // Discourse sends strings; be lenient
		} `json:"site_settings"`
	}
	if err := c.call(ctx, "read site settings", http.MethodGet, c.path("admin", "site_settings.json"), nil, &out); err != nil {
		return nil, err
	}
	values := map[string]string{}
	for _, s := range out.Settings {
		values[s.Setting] = valueString(s.Value)
	}
	return checkSettings(values), nil
}

func valueString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		return ""
	}
	return ""
}

// settingChecks judge, one setting each, whether Discourse will take
// coopgate's calls; each returns its verdict and what to do.
var settingChecks = []struct {
	name  string
	judge func(value string) (downstream.Verdict, string)
}{
	{"allow_new_registrations", func(v string) (downstream.Verdict, string) {
		return downstream.Unless(v == "true", fixRegistrationsClosed)
	}},
	{"max_new_accounts_per_registration_ip", func(v string) (downstream.Verdict, string) {
		if n, _ := strconv.Atoi(v); n > 0 {
			// Fine if coopgate's address is allowed, which the API does not say.
			return downstream.Look, "fine only if coopgate's address is allowed under Admin → Logs → Screened IPs (action Allow); " +
				"otherwise only this many forum accounts can be made for members: set it to 0"
		}
		return downstream.Fine, "no limit"
	}},
	{"min_username_length", func(v string) (downstream.Verdict, string) {
		n, _ := strconv.Atoi(v)
		return downstream.Unless(n <= 1, fixUsernameLength)
	}},
	{"max_username_length", func(v string) (downstream.Verdict, string) {
		n, _ := strconv.Atoi(v)
		return downstream.Unless(n >= 30, fixUsernameLength)
	}},
	{"hide_suspension_reasons", func(v string) (downstream.Verdict, string) {
		return downstream.Unless(v == "true", "turn it on (Admin → Settings → Users): otherwise the suspension text shows on the member's public profile")
	}},
	{"enable_local_logins", func(v string) (downstream.Verdict, string) {
		if v == "false" {
			return downstream.Fine, ""
		}
		return downstream.Look, "turn it off, so that every login goes through coopgate"
	}},
}

func checkSettings(values map[string]string) []downstream.Finding {
	out := make([]downstream.Finding, 0, len(settingChecks))
	for _, c := range settingChecks {
		f := downstream.Finding{Setting: c.name}
		v, known := values[c.name]
		if !known {
			f.Verdict, f.Note = downstream.Look, "Discourse did not list this setting; check it by hand"
		} else {
			f.Value = v
			f.Verdict, f.Note = c.judge(v)
		}
		out = append(out, f)
	}
	return out
}
