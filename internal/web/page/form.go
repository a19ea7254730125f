package page

import (
	"errors"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
)

// FieldErrors maps a form field's name to what is wrong with it.
type FieldErrors map[string]string

// Any reports whether there is an error.
func (fe FieldErrors) Any() bool { return len(fe) > 0 }

// Validator checks form structs; field names come from their `form` tags.
type Validator struct{ v *validator.Validate }

// NewValidator makes a Validator with coopgate's rules registered.
func NewValidator() *Validator {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		return strings.SplitN(f.Tag.Get("form"), ",", 2)[0]
	})
	return &Validator{v: v}
}

// Register adds a custom rule.
func (v *Validator) Register(tag string, fn validator.Func) {
	if err := v.v.RegisterValidation(tag, fn); err != nil {
		panic(err)
	}
}

// Check validates form and returns a message per wrong field. messages maps
// "field.tag" (or "field") to the message to show; otherwise a generic one.
func (v *Validator) Check(form any, messages map[string]string) FieldErrors {
	err := v.v.Struct(form)
	if err == nil {
		return FieldErrors{}
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return FieldErrors{"": "This form could not be checked."}
	}
	out := FieldErrors{}
	for _, fe := range verrs {
		name := fe.Field()
		if _, seen := out[name]; seen {
			continue
		}
		out[name] = messageFor(fe, messages)
	}
	return out
}

func messageFor(fe validator.FieldError, messages map[string]string) string {
	if m, ok := messages[fe.Field()+"."+fe.Tag()]; ok {
		return m
	}
	if m, ok := messages[fe.Field()]; ok {
		return m
	}
	switch fe.Tag() {
	case "required":
		return "Please fill this in."
	case "email":
		return "Enter an email address like name@example.coop."
	case "max":
		return "This is too long (at most " + fe.Param() + " characters)."
	case "min":
		return "This is too short (at least " + fe.Param() + " characters)."
	}
	return "This doesn't look right."
}
