// Package policy owns the co-op's policies: it loads the versioned Markdown
// files (see package policies), renders them safely to HTML, stores each
// version once in policy_versions, and records members' acceptances in
// policy_acceptances. It answers which versions are current, which a person
// still has to accept, and who has not accepted a policy yet.
//
// A stored version is the record of what people agreed to, so this package
// must never change or delete a stored version or an acceptance (the
// database refuses changes to acceptances too), and must never let edited
// text go out under an old version number. It does not decide when a person
// is asked to accept (that is the terms gate in the web handlers), and it
// renders no pages.
package policy
