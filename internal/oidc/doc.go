// Package oidc is coopgate's OpenID Connect provider: zitadel/oidc's op
// package on storage in PostgreSQL (auth requests, codes, access and refresh
// tokens, signing keys), the relying parties declared in config, and the
// claims they receive.
//
// It owns the oidc_* tables and prunes them (Prune). Its token statements
// read the person's standing and claims from people (and the membership
// class from register_entries) in the same statement as the token: one query
// per userinfo call, and the person locked before the token when a grant
// stores one (see tokens.go).
//
// Nothing here lives only in one replica's memory: the signing keys are
// cached but loaded from the database, and clients come from the config file
// every replica shares. It does not render pages: the login form, the
// admission and terms gates are internal/web's, which complete an auth
// request with Storage.CompleteAuthRequest. Nor does it own the browser
// session: at RP-initiated logout internal/server ends it through
// internal/session before op answers.
package oidc
