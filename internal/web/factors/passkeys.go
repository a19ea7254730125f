package factors

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/secondfactor"
	"github.com/coopgate/coopgate/internal/web/page"
)

// passkeyOptions begins adding a passkey: /static/passkey.js asks for the
// options, the browser makes the passkey, and the form posts its answer
// to addPasskey.
func (h *Handler) passkeyOptions(w http.ResponseWriter, r *http.Request, me *people.Person) error {
	if ok, err := h.mayChange(w, r, me); !ok || err != nil {
		return err
	}
	handle, err := h.Sessions.BeginCeremony(w, r)
	if err != nil {
		return err
	}
	options, err := h.Factors.BeginPasskey(r.Context(), handle, me)
	if errors.Is(err, secondfactor.ErrPasskeysOff) {
		return page.NotFound()
	}
	if err != nil {
		return err
	}
	return page.JSON(w, options)
}

func (h *Handler) addPasskey(w http.ResponseWriter, r *http.Request, me *people.Person) error {
	if ok, err := h.mayChange(w, r, me); !ok || err != nil {
		return err
	}
	ctx := r.Context()
	name := strings.TrimSpace(r.PostFormValue("name"))
	if msg := secondfactor.CheckPasskeyName(name); msg != "" {
		return h.passkeyRefused(w, r, me, name, msg, "")
	}
	added, codes, err := h.Factors.FinishPasskey(ctx, h.Sessions.Ceremony(r), me, name, []byte(r.PostFormValue("credential")), page.Actor(r))
	switch {
	case errors.Is(err, secondfactor.ErrPasskeyExists):
		return h.passkeyRefused(w, r, me, name, "", "This passkey is added already.")
	case errors.Is(err, secondfactor.ErrPasskeyFailed), errors.Is(err, secondfactor.ErrNoCeremony), errors.Is(err, secondfactor.ErrPasskeysOff):
		h.Log.InfoContext(ctx, "passkey not added", "person", me.ID, "why", err.Error(), "request_id", page.RequestID(ctx))
		return h.passkeyRefused(w, r, me, name, "", "The passkey could not be added. Try again; if your device asks, unlock it.")
	case err != nil:
		return err
	}
	h.Log.InfoContext(ctx, "passkey added", "person", me.ID, "passkey", added.ID, "request_id", page.RequestID(ctx))
	if err := h.proved(w, r, me, added.Method()); err != nil {
		return err
	}
	if codes != nil {
		return h.showCodes(w, r, codes, true)
	}
	if next := h.next(r); next != "/account/second-factor" {
		return page.Redirect(w, r, next)
	}
	return done(w, r, "passkey")
}

// passkeyRefused shows the overview again with the name as typed and what
// went wrong, beside the name or the passkey.
func (h *Handler) passkeyRefused(w http.ResponseWriter, r *http.Request, me *people.Person, name, nameError, passkeyError string) error {
	data, err := h.overview(r, me)
	if err != nil {
		return err
	}
	data.Name, data.NameError, data.PasskeyError = name, nameError, passkeyError
	return h.renderOverview(w, r, http.StatusUnprocessableEntity, data)
}

func (h *Handler) removePasskey(w http.ResponseWriter, r *http.Request, me *people.Person) error {
	if ok, err := h.mayChange(w, r, me); !ok || err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return page.NotFound()
	}
	err = h.Factors.RemovePasskey(r.Context(), me, id, page.Actor(r))
	if errors.Is(err, secondfactor.ErrNotEnrolled) {
		return page.NotFound()
	}
	if err != nil {
		return err
	}
	return done(w, r, "passkey-removed")
}
