// Package membership keeps people's standing true to the member register:
// it owns the "membership changes to confirm" (membership_changes) that an
// import, an edit or a ceased_on date arriving asks of a linked person, and
// the dues notices mailed before and after a member's paid_until date
// (dues_notices). It works out a member's standing (active, in grace,
// lapsed) for their account page, the secretary's lists and the
// `membership` claim.
//
// It decides nothing about admission and changes no one's status itself:
// every ending and reinstatement goes through internal/admission's
// CeaseIn/ReinstateIn, in the same transaction as the change's own record
// and audit event. It reads people through internal/people and the
// register through internal/register, and writes the register only through
// register's functions (an import, a new paid-until date). Its jobs (the
// periodic scan and one job per dues notice) are River jobs whose workers
// internal/app registers with the runner.
package membership
