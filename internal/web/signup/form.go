package signup

import (
	"net/http"
	"strings"

	"github.com/go-playground/validator/v10"

	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/username"
	"github.com/coopgate/coopgate/internal/web/page"
)

// newValidator knows the area's own rules: a Mastodon-valid username, and
// not one the co-op's services reserve.
func newValidator() *page.Validator {
	v := page.NewValidator()
	v.Register("username", func(fl validator.FieldLevel) bool {
		return people.UsernamePattern.MatchString(fl.Field().String())
	})
	v.Register("unreserved", func(fl validator.FieldLevel) bool {
		return !username.Reserved(fl.Field().String())
	})
	return v
}

// field is a trimmed form value.
func field(r *http.Request, name string) string {
	return strings.TrimSpace(r.PostFormValue(name))
}

// Messages shared by the area's forms.
var emailMessages = map[string]string{
	"email.required": "Enter your email address.",
	"email.email":    "Enter an email address like name@example.coop.",
	"email.max":      "This email address is too long.",
}

// withEmailMessages adds the email field's messages to a form's own.
func withEmailMessages(own map[string]string) map[string]string {
	out := make(map[string]string, len(own)+len(emailMessages))
	for k, v := range emailMessages {
		out[k] = v
	}
	for k, v := range own {
		out[k] = v
	}
	return out
}

// unmailable catches addresses the validator lets through (quoted local
// parts, several @) that no one types for their own mailbox.
func unmailable(email string) bool {
	return strings.ContainsAny(email, " \t\r\n<>,;\"") || strings.Count(email, "@") != 1
}

// parseForm reads the posted form or answers 400.
func parseForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return page.BadRequest("This form could not be read.")
	}
	return nil
}
