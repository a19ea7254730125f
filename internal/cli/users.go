package cli

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/password"
	"github.com/coopgate/coopgate/internal/people"
)

func runUsers(e env, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("%w: coopgate users create --email E --name N --username U --role member|secretary [--password-stdin]", errUsage)
	}
	fs, path := flags(e, "users create")
	email := fs.String("email", "", "login email (required)")
	name := fs.String("name", "", "full name (required)")
	username := fs.String("username", "", "username: a-z, 0-9, _; at most 30 (required)")
	role := fs.String("role", "member", "member or secretary")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input (else one is generated and printed)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	nu := people.New{Email: *email, Name: strings.TrimSpace(*name), Username: strings.ToLower(*username),
		Status: people.Admitted, EmailVerified: true, Roles: []string{}}
	if err := checkNewUser(nu, *role); err != nil {
		return err
	}
	if *role == people.RoleSecretary {
		nu.Roles = []string{people.RoleSecretary}
	}
	pw, generated, err := readPassword(e, *fromStdin)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	if nu.PasswordHash, err = password.Hash(e.ctx, pw); err != nil {
		return err
	}
	p, err := createUser(e, cfg.DatabaseURL, nu)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created %s <%s> (%s), sub %s\n", p.Username, p.Email, *role, p.ID)
	if generated {
		fmt.Fprintf(e.stdout, "password: %s\n", pw)
	}
	return nil
}

func checkNewUser(nu people.New, role string) error {
	var problems []string
	if !strings.Contains(nu.Email, "@") {
		problems = append(problems, "--email: must be an email address")
	}
	if nu.Name == "" {
		problems = append(problems, "--name: required")
	}
	if !people.UsernamePattern.MatchString(nu.Username) {
		problems = append(problems, "--username: 1–30 of a-z, 0-9 and _")
	}
	if role != "member" && role != people.RoleSecretary {
		problems = append(problems, "--role: member or secretary")
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

func createUser(e env, url string, nu people.New) (*people.Person, error) {
	pool, err := database.Open(e.ctx, url)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	var p *people.Person
	err = database.InTx(e.ctx, pool, func(tx pgx.Tx) error {
		var err error
		if p, err = people.Create(e.ctx, tx, nu); err != nil {
			return err
		}
		return audit.Record(e.ctx, tx, audit.Actor{Label: "cli"}, audit.Event{
			Action: "person.create", SubjectType: "person", SubjectID: p.ID,
			After: map[string]any{"email": p.Email, "username": p.Username, "roles": p.Roles, "status": p.Status},
		})
	})
	return p, err
}
