package membership

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/register"
)

// A pass looks at every person linked to the register against their entry
// as it stands now, after an import or when the periodic scan runs, and
// settles what the register asks of them:
//
//   - an admitted member whose entry is no longer active (its ceased_on
//     date has come) is to cease, once per date: an ending the secretary
//     dismissed is not proposed again until the date changes;
//   - a former member whose entry this import made active again (its
//     ceased_on cleared or moved on) is to be reinstated;
//   - an admitted member whose entry a whole-register upload left out is
//     listed as missing, and never ended without the secretary.
//
// A change still waiting that the register or the person has moved past is
// withdrawn. Ending and reinstating wait for the secretary unless the co-op
// chose membership.apply_register_endings: automatic.
type pass struct {
	s      *Service
	tx     pgx.Tx
	today  time.Time
	source string // in words, for the secretary: which import, or the scan
	digest string // the imported file's sha256, if any
	actor  audit.Actor
	// What the pass knows before it starts: the pending change of each
	// person, and every ending proposed so far (not withdrawn).
	pending map[string]changeRow
	ceases  map[ceaseKey]bool
	done    PassResult
}

type ceaseKey struct {
	personID string
	entryID  int64
	ceasedOn string // YYYY-MM-DD
}

func keyOf(personID string, entryID int64, ceasedOn time.Time) ceaseKey {
	return ceaseKey{personID, entryID, Day(ceasedOn).Format(time.DateOnly)}
}

// PassResult counts what a pass did to people.
type PassResult struct {
	Queued    int // changes now waiting for the secretary
	Applied   int // endings and reinstatements carried out at once
	Withdrawn int
}

// passLock serialises passes (imports and scans) across replicas: they are
// rare, and one at a time cannot propose the same change twice.
const passLock = 0x6d656d62 // "memb"

func (s *Service) newPass(ctx context.Context, tx pgx.Tx, source, digest string, actor audit.Actor) (*pass, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, passLock); err != nil {
		return nil, fmt.Errorf("membership: taking the pass lock: %w", err)
	}
	ps := &pass{s: s, tx: tx, today: s.today(), source: source, digest: digest, actor: actor,
		pending: map[string]changeRow{}, ceases: map[ceaseKey]bool{}}
	rows, err := tx.Query(ctx, selectChange+`WHERE state = 'pending' OR (kind = 'cease' AND state <> 'withdrawn')`)
	if err != nil {
		return nil, fmt.Errorf("membership: loading changes: %w", err)
	}
	known, err := pgx.CollectRows(rows, pgx.RowToStructByPos[changeRow])
	if err != nil {
		return nil, fmt.Errorf("membership: loading changes: %w", err)
	}
	for _, c := range known {
		if c.Kind == KindCease && c.CeasedOn != nil {
			ps.ceases[keyOf(c.PersonID, c.EntryID, *c.CeasedOn)] = true
		}
	}
	rows, err = tx.Query(ctx, selectChange+`WHERE state = 'pending'`)
	if err != nil {
		return nil, fmt.Errorf("membership: loading changes: %w", err)
	}
	pending, err := pgx.CollectRows(rows, pgx.RowToStructByPos[changeRow])
	for _, c := range pending {
		ps.pending[c.PersonID] = c
	}
	return ps, err
}

// linkedNow is every admitted or former member linked to the register,
// with their entries as they are now.
func linkedNow(ctx context.Context, tx database.Querier) ([]*people.Person, map[int64]register.Entry, error) {
	linked, err := people.LinkedToRegister(ctx, tx, people.Admitted, people.Ceased)
	if err != nil {
		return nil, nil, err
	}
	entries, err := register.ByIDs(ctx, tx, entryIDs(linked))
	return linked, entries, err
}

func entryIDs(list []*people.Person) []int64 {
	ids := make([]int64, 0, len(list))
	for _, p := range list {
		ids = append(ids, *p.RegisterEntryID)
	}
	return ids
}

// facts is what one import says of one person's entry.
type facts struct {
	reinstated bool // the import made the entry active again
	inFile     bool // the file has the entry's number
	missing    bool // a whole-register file without it
}

// settle decides what the register asks of p now, given entry e.
func (ps *pass) settle(ctx context.Context, p *people.Person, e register.Entry, f facts) error {
	active := e.Active(ps.today)
	var want Kind
	switch {
	case p.Status == people.Admitted && !active && e.CeasedOn != nil &&
		!ps.ceases[keyOf(p.ID, e.ID, *e.CeasedOn)]:
		want = KindCease
	case p.Status == people.Ceased && active && f.reinstated:
		want = KindReinstate
	case p.Status == people.Admitted && active && f.missing:
		want = KindMissing
	}
	if c, ok := ps.pending[p.ID]; ok && (want != "" || !ps.stillAsked(c, p, e, f)) {
		if err := ps.withdraw(ctx, c); err != nil {
			return err
		}
	}
	if want == "" {
		return nil
	}
	if ps.s.Policy.ApplyAutomatically && want != KindMissing {
		return ps.apply(ctx, p, e, want)
	}
	return ps.propose(ctx, p, e, want, statePending)
}

// stillAsked reports whether a waiting change is still what the register
// and the person's standing ask for.
func (ps *pass) stillAsked(c changeRow, p *people.Person, e register.Entry, f facts) bool {
	active := e.Active(ps.today)
	switch c.Kind {
	case KindCease:
		return p.Status == people.Admitted && !active && c.EntryID == e.ID && e.CeasedOn != nil &&
			c.CeasedOn != nil && c.CeasedOn.Equal(*e.CeasedOn)
	case KindReinstate:
		return p.Status == people.Ceased && active && c.EntryID == e.ID
	case KindMissing:
		return p.Status == people.Admitted && c.EntryID == e.ID && !f.inFile
	}
	return false
}

func (ps *pass) withdraw(ctx context.Context, c changeRow) error {
	tag, err := ps.tx.Exec(ctx, `UPDATE membership_changes SET state = 'withdrawn', decided_at = now()
		WHERE id = $1 AND state = 'pending'`, c.ID)
	if err != nil {
		return fmt.Errorf("membership: withdrawing change: %w", err)
	}
	delete(ps.pending, c.PersonID)
	if tag.RowsAffected() == 0 {
		return nil // decided meanwhile
	}
	ps.done.Withdrawn++
	return audit.Record(ctx, ps.tx, audit.System, audit.Event{Action: "membership_change.withdraw", SubjectType: "person",
		SubjectID: c.PersonID, After: map[string]any{"change": c.ID, "kind": c.Kind, "because": ps.source}})
}

// propose records a change in state (pending, or applied), with its audit
// event; it returns the change's id.
func (ps *pass) propose(ctx context.Context, p *people.Person, e register.Entry, kind Kind, state string) error {
	var ceasedOn *time.Time
	reason := ""
	if kind == KindCease {
		ceasedOn, reason = e.CeasedOn, e.CeasedReason
	}
	var id int64
	err := ps.tx.QueryRow(ctx, `INSERT INTO membership_changes
		(person_id, register_entry_id, kind, ceased_on, ceased_reason, source, upload_digest, state, decided_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $8 <> 'pending' THEN now() END) RETURNING id`,
		p.ID, e.ID, kind, ceasedOn, reason, ps.source, ps.digest, state).Scan(&id)
	if err != nil {
		return fmt.Errorf("membership: recording change: %w", err)
	}
	if kind == KindCease {
		ps.ceases[keyOf(p.ID, e.ID, *ceasedOn)] = true
	}
	action := "membership_change.queue"
	if state == stateApplied {
		action = "membership_change.apply"
		ps.done.Applied++
	} else {
		ps.pending[p.ID] = changeRow{ID: id, PersonID: p.ID, EntryID: e.ID, Kind: kind, CeasedOn: ceasedOn}
		ps.done.Queued++
	}
	return audit.Record(ctx, ps.tx, ps.actor, audit.Event{Action: action, SubjectType: "person", SubjectID: p.ID,
		After: map[string]any{"change": id, "kind": kind, "register_entry": e.ID, "membership_number": e.MembershipNumber,
			"ceased_on": isoDate(ceasedOn), "source": ps.source}})
}

// apply carries a register ending or reinstatement out at once
// (membership.apply_register_endings: automatic), and records it applied.
func (ps *pass) apply(ctx context.Context, p *people.Person, e register.Entry, kind Kind) error {
	var err error
	if kind == KindCease {
		c := Change{Kind: kind, CeasedOn: e.CeasedOn, CeasedReason: e.CeasedReason}
		_, err = ps.s.Admission.CeaseIn(ctx, ps.tx, p.ID, c.Reason(), ps.actor)
	} else {
		_, err = ps.s.Admission.ReinstateIn(ctx, ps.tx, p.ID, ps.actor)
	}
	if errors.Is(err, admission.ErrWrongStatus) {
		return nil // someone acted on them since the pass looked
	}
	if err != nil {
		return err
	}
	return ps.propose(ctx, p, e, kind, stateApplied)
}

// Reconcile runs a pass over every linked person as the register stands:
// endings whose ceased_on date has come are proposed (or applied), and
// changes no longer asked for are withdrawn. The periodic scan runs it,
// so a ceased_on date set in the future takes effect when it comes.
func (s *Service) Reconcile(ctx context.Context, tx pgx.Tx, source string, actor audit.Actor) (PassResult, error) {
	ps, err := s.newPass(ctx, tx, source, "", actor)
	if err != nil {
		return PassResult{}, err
	}
	linked, entries, err := linkedNow(ctx, tx)
	if err != nil {
		return PassResult{}, err
	}
	for _, p := range linked {
		if err := ps.settle(ctx, p, entries[*p.RegisterEntryID], facts{inFile: false}); err != nil {
			return PassResult{}, err
		}
	}
	return ps.done, nil
}

// Import is one register file being imported.
type Import struct {
	Rows     []register.Row
	FileName string
	Digest   string // hex SHA-256 of the file, as the import's audit event names it
	// Whole says the file is the whole register: linked members whose
	// entries it leaves out are listed for the secretary.
	Whole bool
}

// ImportResult is what an import did to the register and to people.
type ImportResult struct {
	register.Summary
	PassResult
}

// Import imports the file's rows into the register and settles, in the
// same transaction, what the new register asks of linked people.
func (s *Service) Import(ctx context.Context, tx pgx.Tx, imp Import, actor audit.Actor) (ImportResult, error) {
	ps, err := s.newPass(ctx, tx, "import of "+imp.FileName, imp.Digest, actor)
	if err != nil {
		return ImportResult{}, err
	}
	linked, before, err := linkedNow(ctx, tx)
	if err != nil {
		return ImportResult{}, err
	}
	sum, err := register.Import(ctx, tx, imp.Rows)
	if err != nil {
		return ImportResult{}, err
	}
	after, err := register.ByIDs(ctx, tx, entryIDs(linked))
	if err != nil {
		return ImportResult{}, err
	}
	numbers := fileNumbers(imp.Rows)
	for _, p := range linked {
		b, a := before[*p.RegisterEntryID], after[*p.RegisterEntryID]
		inFile := numbers[a.MembershipNumber]
		f := facts{reinstated: !b.Active(ps.today) && a.Active(ps.today), inFile: inFile, missing: imp.Whole && !inFile}
		if err := ps.settle(ctx, p, a, f); err != nil {
			return ImportResult{}, err
		}
	}
	return ImportResult{Summary: sum, PassResult: ps.done}, nil
}

// fileNumbers is the set of membership numbers a file's rows hold, as the
// register stores them.
func fileNumbers(rows []register.Row) map[string]bool {
	out := make(map[string]bool, len(rows))
	for _, r := range rows {
		out[register.NormaliseNumber(r.Entry.MembershipNumber)] = true
	}
	return out
}

// Missing lists the admitted members linked to the register whose entries
// rows leave out: whom a whole-register import would list, for its preview.
func Missing(ctx context.Context, tx database.Querier, rows []register.Row) ([]*people.Person, error) {
	linked, entries, err := linkedNow(ctx, tx)
	if err != nil {
		return nil, err
	}
	numbers := fileNumbers(rows)
	return slices.DeleteFunc(linked, func(p *people.Person) bool {
		return p.Status != people.Admitted || numbers[entries[*p.RegisterEntryID].MembershipNumber]
	}), nil
}
