// Package federation owns the co-op's federation decisions: which servers
// its Mastodon blocks, on which ground, decided where, and their carrying
// out on Mastodon.
//
// It owns the append-only ledger (federation_decisions: changing or lifting
// a block is a new decision; a domain stands as its latest decision says),
// members' proposals (federation_proposals), what coopgate last saw of
// Mastodon's domain blocks and where carrying each decision out stands
// (federation_mastodon_blocks, federation_applied, federation_comparisons),
// and domain-block CSV files between their preview and their import
// (federation_uploads). It normalises domains (IDNA to punycode, lower
// case, no trailing dot) and refuses wildcards and malformed names.
//
// Every state change has one entry point on Service (Record, Propose,
// Accept, Decline, Import, Adopt) that writes its audit event, enqueues its
// apply job and queues its mail in the same transaction. The jobs are River
// jobs, idempotent, retried with backoff and 429-aware as account
// provisioning's are; a job carries out the domain's latest decision when it
// runs, not the one it was enqueued for. The reconciler compares Mastodon's
// list with the ledger: blocks Mastodon has that the ledger lacks are shown
// to moderators as not decided here and never deleted by coopgate; blocks
// that differ from the ledger, or that it lacks, are put right toward the
// ledger.
//
// There is deliberately no political ground: the co-op's free-speech policy
// rules it out, and the grounds each name the policy that backs them.
//
// It renders no pages and reads people only through internal/people; it
// talks to Mastodon only through internal/downstream/mastodon.
package federation
