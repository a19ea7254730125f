// Package register owns the member register a UK registered society must keep
// (s.30 Co-operative and Community Benefit Societies Act 2014): the
// register_entries table, the CSV files the secretary imports and exports, and
// the look-ups the admission gate makes against it.
//
// It parses files as pure functions over an io.Reader (our documented CSV, or
// Open Collective's members export as it comes), so that the admin UI can
// preview every problem, line by line, before anything is stored. Storing is
// an idempotent upsert by membership number inside the caller's transaction.
// docs/register.md describes the file format for the people who write it.
//
// It must not decide admission (internal/admission does, using
// FindActiveByEmail and FindActiveByEmailAndNumber), touch the people table,
// send mail or write audit events: the caller does those in the same
// transaction. It never deletes an entry: the Act has former members kept on
// the register, so a membership ends by setting CeasedOn.
package register
