// Package provisioning keeps members' accounts on the co-op's services
// (Mastodon, Discourse, GitLab) in line with where they stand in coopgate,
// as durable River jobs: an admitted person's account is ensured, a ceased
// member's is suspended, a reinstated member's is unsuspended.
//
// It owns the downstream_accounts table (what coopgate last saw of each
// account, for the secretary), the downstream_suspensions table (the
// suspensions coopgate made, the only ones a reinstatement lifts), the
// account jobs and their workers, Mastodon's account.created webhook and the
// poll that stands in for a missed one, the accounts a service's setting
// holds (needs_setting) and the recheck that releases them, the secretary's
// Retry, and the reconciliation `coopgate downstream sync` runs. The
// services are told the configured neutral suspension text, never the
// secretary's reason.
//
// It also owns webhook_deliveries, the Mastodon deliveries already acted on.
// It reads people only through internal/people.
//
// Jobs are enqueued in the transaction of the change that causes them
// (admission calls Admitted, Ceased and Reinstated inside its own, through
// its Downstream seam; provisioning does not import admission), so they
// exist exactly when the change does. A Provisioner is built complete, with
// the job client it enqueues with; its workers go into the bundle of the
// runner made after it (AddWorkers), with its PeriodicJobs. A worker does
// what fits the person's standing when it runs, not when it was enqueued.
// It renders no pages and talks to the services only through
// downstream.Service.
package provisioning
