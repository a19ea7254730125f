package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Policy is one version of a policy.
type Policy struct {
	ID        string
	Title     string
	Version   string // compared only for equality: "2" is not "2.0"
	Effective time.Time
	Required  bool   // a person must accept it before logging in to a service
	SHA256    string // hex of Body
	Body      string // Markdown
	HTML      template.HTML
}

// PolicyRef names the exact text of a policy version a person accepts.
type PolicyRef struct {
	ID      string
	Version string
	SHA256  string
}

// Ref returns the reference a person accepting p agrees to.
func (p Policy) Ref() PolicyRef {
	return PolicyRef{ID: p.ID, Version: p.Version, SHA256: p.SHA256}
}

// dateLayout is the form of `effective` in the front matter.
const dateLayout = "2006-01-02"

// Load reads every *.md file in the root of fsys, in name order. It reports
// every problem it finds, each naming its file, rather than only the first.
func Load(fsys fs.FS) ([]Policy, error) {
	names, err := fs.Glob(fsys, "*.md")
	if err != nil {
		return nil, fmt.Errorf("policy: listing files: %w", err)
	}
	var policies []Policy
	var errs []error
	seen := make(map[string]string) // id → file
	for _, name := range names {
		p, err := loadFile(fsys, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if first, ok := seen[p.ID]; ok {
			errs = append(errs, fmt.Errorf("policy: %s: id %q is already used by %s", name, p.ID, first))
			continue
		}
		seen[p.ID] = name
		policies = append(policies, p)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return policies, nil
}

func loadFile(fsys fs.FS, name string) (Policy, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return Policy{}, fmt.Errorf("policy: %w", err)
	}
	p, err := parse(data)
	if err != nil {
		return Policy{}, fmt.Errorf("policy: %s: %w", name, err)
	}
	return p, nil
}

// parse turns one file's contents into a Policy.
func parse(data []byte) (Policy, error) {
	front, body, err := splitFrontMatter(data)
	if err != nil {
		return Policy{}, err
	}
	p, err := parseFrontMatter(front)
	if err != nil {
		return Policy{}, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return Policy{}, errors.New("the policy has no text after the front matter")
	}
	sum := sha256.Sum256(body)
	p.SHA256 = hex.EncodeToString(sum[:])
	p.Body = string(body)
	if p.HTML, err = render(p.Body); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// splitFrontMatter separates the YAML between the opening and closing "---"
// lines from the body, which is every byte after the closing line.
func splitFrontMatter(data []byte) (front, body []byte, err error) {
	rest, ok := cutLine(data, "---")
	if !ok {
		return nil, nil, errors.New(`the file must start with a "---" line opening the front matter`)
	}
	for offset := 0; offset < len(rest); {
		line, next, _ := bytes.Cut(rest[offset:], []byte("\n"))
		if string(bytes.TrimRight(line, "\r")) == "---" {
			return rest[:offset], next, nil
		}
		offset += len(line) + 1
	}
	return nil, nil, errors.New(`the front matter has no closing "---" line`)
}

// cutLine reports whether data starts with the line want, and returns what
// follows that line.
func cutLine(data []byte, want string) ([]byte, bool) {
	line, rest, found := bytes.Cut(data, []byte("\n"))
	if !found || string(bytes.TrimRight(line, "\r")) != want {
		return nil, false
	}
	return rest, true
}

// parseFrontMatter is strict, because a misspelt key (say "requried") would
// otherwise silently change what members are asked to accept.
func parseFrontMatter(front []byte) (Policy, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(front, &doc); err != nil {
		return Policy{}, fmt.Errorf("front matter: %w", err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return Policy{}, errors.New("front matter: must be a set of `key: value` lines")
	}
	var p Policy
	var errs []error
	seen := make(map[string]bool)
	pairs := doc.Content[0].Content
	for i := 0; i+1 < len(pairs); i += 2 {
		key, value := pairs[i].Value, pairs[i+1]
		if seen[key] {
			errs = append(errs, fmt.Errorf("front matter: key %q appears twice", key))
			continue
		}
		seen[key] = true
		if err := setField(&p, key, value); err != nil {
			errs = append(errs, fmt.Errorf("front matter: key %q: %w", key, err))
		}
	}
	for _, key := range []string{"id", "title", "version", "effective"} {
		if !seen[key] {
			errs = append(errs, fmt.Errorf("front matter: key %q is missing", key))
		}
	}
	return p, errors.Join(errs...)
}

func setField(p *Policy, key string, value *yaml.Node) error {
	if value.Kind != yaml.ScalarNode {
		return errors.New("must be a single value")
	}
	text := strings.TrimSpace(value.Value)
	var err error
	switch key {
	case "id":
		p.ID, err = parseID(text)
	case "title":
		p.Title, err = nonEmpty(text)
	case "version":
		p.Version, err = nonEmpty(text)
	case "effective":
		p.Effective, err = parseDate(text)
	case "required":
		p.Required, err = parseBool(value)
	default:
		err = errors.New("unknown key (known: id, title, version, effective, required)")
	}
	return err
}

// parseID keeps ids usable in URLs, claims and CSV without escaping.
func parseID(text string) (string, error) {
	ok := text != "" && text[0] != '-'
	for _, r := range text {
		ok = ok && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-')
	}
	if !ok {
		return "", fmt.Errorf("%q must be lower-case letters, digits and hyphens", text)
	}
	return text, nil
}

func nonEmpty(text string) (string, error) {
	if text == "" {
		return "", errors.New("must not be empty")
	}
	return text, nil
}

func parseDate(text string) (time.Time, error) {
	day, err := time.Parse(dateLayout, text)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date like 2025-01-31", text)
	}
	return day, nil
}

// parseBool accepts only true and false: YAML 1.1's yes/no/on/off are too
// easy to misread in a file that decides what people must agree to.
func parseBool(value *yaml.Node) (bool, error) {
	var b bool
	if value.ShortTag() != "!!bool" || value.Decode(&b) != nil {
		return false, fmt.Errorf("%q must be true or false", value.Value)
	}
	return b, nil
}
