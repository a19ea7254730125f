package cli

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/app"
	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/downstream/provisioning"
	"github.com/coopgate/coopgate/internal/jobs"
	"github.com/coopgate/coopgate/internal/password"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/username"
)

func runUsers(e env, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("%w: coopgate users create --email E --name N --username U --role member|secretary|moderator [--password-stdin]", errUsage)
	}
	fs, path := flags(e, "users create")
	email := fs.String("email", "", "login email (required)")
	name := fs.String("name", "", "full name (required)")
	username := fs.String("username", "", "username: a-z, 0-9, _; at most 30 (required)")
	role := fs.String("role", "member", "member, secretary or moderator")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input (else one is generated and printed)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	in := admission.Enrolment{Email: people.NormalizeEmail(*email), Name: strings.TrimSpace(*name),
		Username: strings.ToLower(*username), Roles: []string{}}
	if err := checkNewUser(in, *role); err != nil {
		return err
	}
	if *role != "member" {
		in.Roles = []string{*role}
	}
	pw, generated, err := readPassword(e, *fromStdin)
	if err != nil {
		return err
	}
	if in.PasswordHash, err = password.Hash(e.ctx, pw); err != nil {
		return err
	}
	p, err := enrol(e, *path, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created %s <%s> (%s), sub %s\n", p.Username, p.Email, *role, p.ID)
	if generated {
		fmt.Fprintf(e.stdout, "password: %s\n", pw)
	}
	return nil
}

func checkNewUser(in admission.Enrolment, role string) error {
	var problems []string
	if !strings.Contains(in.Email, "@") {
		problems = append(problems, "--email: must be an email address")
	}
	if in.Name == "" {
		problems = append(problems, "--name: required")
	}
	switch {
	case !people.UsernamePattern.MatchString(in.Username):
		problems = append(problems, "--username: 1–30 of a-z, 0-9 and _")
	case username.Reserved(in.Username):
		problems = append(problems, "--username: reserved by one of the co-op's services (see internal/username/reserved.txt)")
	}
	if role != "member" && role != people.RoleSecretary && role != people.RoleModerator {
		problems = append(problems, "--role: member, secretary or moderator")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", errUsage, strings.Join(problems, "; "))
	}
	return nil
}

func readPassword(e env, fromStdin bool) (pw string, generated bool, err error) {
	if !fromStdin {
		b := make([]byte, 15)
		_, _ = rand.Read(b)
		return base64.RawURLEncoding.EncodeToString(b), true, nil
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", false, fmt.Errorf("reading the password from standard input: %w", err)
	}
	pw = strings.TrimRight(line, "\r\n")
	if msg := password.Problem(pw); msg != "" {
		return "", false, fmt.Errorf("password: %s", msg)
	}
	return pw, false, nil
}

// enrol admits the person through admission, as sign-up would, so their
// accounts on the co-op's services are enqueued with them; the server's
// workers create them. The job client here only inserts.
func enrol(e env, path string, in admission.Enrolment) (*people.Person, error) {
	cfg, pool, err := openDatabase(e, path)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	log := app.NewLogger(cfg.Log)
	inserter, err := jobs.NewInserter(pool, log)
	if err != nil {
		return nil, err
	}
	down, err := provisioning.FromConfig(pool, cfg.Downstream, inserter, log)
	if err != nil {
		return nil, err
	}
	// Enrolling mails no one, so no outbox.
	s := &admission.Service{Pool: pool, Jobs: inserter, Downstream: down}
	return s.Enrol(e.ctx, in, audit.Actor{Label: "cli"})
}
