// Package session owns the browser session and who it belongs to: the
// session cookie, its values in PostgreSQL (web_sessions, through a
// gorilla/sessions store, so every replica sees the same session and ending
// one takes effect everywhere at once), logging in and out, the relying
// party's login a sign-up or reset continues, and a person's list of
// sessions.
//
// Its Manager loads a request's session once, with the person it names, and
// puts them in the request's context (FromContext); pages ask the context,
// not the store. It tells "nobody is logged in" from "the session cannot be
// read right now" (PostgreSQL down): the second is an error, so a logged-in
// person is never answered as if they had logged out.
//
// It decides nothing about admission or terms (internal/web/login does) and
// renders no pages.
package session
