package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/coopgate/coopgate/policies"
)

const goodFront = `---
id: be-kind
title: Be kind
version: "2"
effective: 2025-03-01
required: true
---
`

const goodBody = "Be kind to each other.\n\n## Why\n\nBecause.\n"

func TestLoadReadsFrontMatterAndBody(t *testing.T) {
	fsys := fstest.MapFS{
		"be-kind.md":    {Data: []byte(goodFront + goodBody)},
		"notes.txt":     {Data: []byte("not a policy")},
		"sub/nested.md": {Data: []byte("not in the root, so not loaded")},
	}
	got, err := Load(fsys)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(got) != 1 {
		t.Fatalf("Load returned %d policies, want 1", len(got))
	}
	p := got[0]
	sum := sha256.Sum256([]byte(goodBody))
	want := Policy{
		ID: "be-kind", Title: "Be kind", Version: "2", Required: true,
		Effective: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
		SHA256:    hex.EncodeToString(sum[:]), Body: goodBody, HTML: p.HTML,
	}
	if p != want {
		t.Errorf("Load = %+v\nwant %+v", p, want)
	}
	if !strings.Contains(string(p.HTML), "<h2>Why</h2>") {
		t.Errorf("HTML = %q, want the body rendered", p.HTML)
	}
}

func TestLoadAcceptsPlainYAMLScalars(t *testing.T) {
	tests := []struct {
		name, front string
		check       func(Policy) bool
	}{
		{"unquoted version", "id: a\ntitle: A\nversion: 3\neffective: 2025-01-01\n",
			func(p Policy) bool { return p.Version == "3" }},
		{"version keeps its spelling", "id: a\ntitle: A\nversion: 1.10\neffective: 2025-01-01\n",
			func(p Policy) bool { return p.Version == "1.10" }},
		{"required defaults to false", "id: a\ntitle: A\nversion: '1'\neffective: '2025-01-01'\n",
			func(p Policy) bool { return !p.Required }},
		{"windows line endings", "id: a\r\ntitle: A\r\nversion: 1\r\neffective: 2025-01-01\r\n",
			func(p Policy) bool { return p.Title == "A" && p.Version == "1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"a.md": {Data: []byte("---\n" + tt.front + "---\nText.\n")}}
			got, err := Load(fsys)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !tt.check(got[0]) {
				t.Errorf("Load = %+v", got[0])
			}
		})
	}
}

func TestLoadRefusesBadFiles(t *testing.T) {
	const front = "id: a\ntitle: A\nversion: \"1\"\neffective: 2025-01-01\n"
	tests := []struct {
		name string
		file string
		want []string // each must appear in the error
	}{
		{"no front matter", "Just text.\n", []string{"a.md", `"---"`}},
		{"unclosed front matter", "---\n" + front + "Text.\n", []string{"a.md", "closing"}},
		{"unknown key", "---\n" + front + "requried: true\n---\nText.\n", []string{"a.md", `"requried"`, "unknown key"}},
		{"missing id", "---\ntitle: A\nversion: 1\neffective: 2025-01-01\n---\nText.\n", []string{"a.md", `"id" is missing`}},
		{"missing title", "---\nid: a\nversion: 1\neffective: 2025-01-01\n---\nText.\n", []string{"a.md", `"title" is missing`}},
		{"missing version", "---\nid: a\ntitle: A\neffective: 2025-01-01\n---\nText.\n", []string{"a.md", `"version" is missing`}},
		{"missing effective", "---\nid: a\ntitle: A\nversion: 1\n---\nText.\n", []string{"a.md", `"effective" is missing`}},
		{"every missing key at once", "---\nrequired: false\n---\nText.\n", []string{`"id"`, `"title"`, `"version"`, `"effective"`}},
		{"bad date", "---\nid: a\ntitle: A\nversion: 1\neffective: 2025-02-30\n---\nText.\n", []string{"a.md", `"effective"`, "2025-02-30"}},
		{"date in another form", "---\nid: a\ntitle: A\nversion: 1\neffective: 1 March 2025\n---\nText.\n", []string{"a.md", `"effective"`}},
		{"empty version", "---\nid: a\ntitle: A\nversion: ''\neffective: 2025-01-01\n---\nText.\n", []string{"a.md", `"version"`, "empty"}},
		{"yes is not a bool", "---\n" + front + "required: yes\n---\nText.\n", []string{"a.md", `"required"`, "true or false"}},
		{"id with capitals", "---\nid: Be-Kind\ntitle: A\nversion: 1\neffective: 2025-01-01\n---\nText.\n", []string{"a.md", `"id"`}},
		{"key twice", "---\n" + front + "title: B\n---\nText.\n", []string{"a.md", `"title"`, "twice"}},
		{"list value", "---\n" + front + "required: [true]\n---\nText.\n", []string{"a.md", `"required"`}},
		{"not a mapping", "---\n- a\n---\nText.\n", []string{"a.md", "front matter"}},
		{"no body", "---\n" + front + "---\n\n", []string{"a.md", "no text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(fstest.MapFS{"a.md": {Data: []byte(tt.file)}})
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %s", err, want)
				}
			}
		})
	}
}

func TestLoadRefusesDuplicateIDs(t *testing.T) {
	fsys := fstest.MapFS{
		"one.md": {Data: []byte(goodFront + goodBody)},
		"two.md": {Data: []byte(goodFront + "Other text.\n")},
	}
	_, err := Load(fsys)
	if err == nil {
		t.Fatal("Load succeeded, want an error")
	}
	for _, want := range []string{"one.md", "two.md", `id "be-kind"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestLoadReportsEveryBadFile(t *testing.T) {
	fsys := fstest.MapFS{
		"a.md": {Data: []byte("no front matter")},
		"b.md": {Data: []byte("---\nid: b\n---\nText.\n")},
	}
	_, err := Load(fsys)
	if err == nil || !strings.Contains(err.Error(), "a.md") || !strings.Contains(err.Error(), "b.md") {
		t.Errorf("Load error = %v, want both files named", err)
	}
}

func TestHashCoversExactlyTheBody(t *testing.T) {
	load := func(front, body string) Policy {
		t.Helper()
		got, err := Load(fstest.MapFS{"p.md": {Data: []byte(front + body)}})
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		return got[0]
	}
	base := load(goodFront, goodBody)
	otherFront := strings.Replace(goodFront, "Be kind\n", "Be very kind\n", 1)
	tests := []struct {
		name string
		p    Policy
		same bool
	}{
		{"front matter edited", load(otherFront, goodBody), true},
		{"one word changed", load(goodFront, strings.Replace(goodBody, "Because", "Since", 1)), false},
		{"trailing space added", load(goodFront, goodBody+" "), false},
		{"line endings changed", load(goodFront, strings.ReplaceAll(goodBody, "\n", "\r\n")), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if same := tt.p.SHA256 == base.SHA256; same != tt.same {
				t.Errorf("hash equal = %v, want %v", same, tt.same)
			}
		})
	}
}

func TestCoopPoliciesLoad(t *testing.T) {
	got, err := Load(policies.FS)
	if err != nil {
		t.Fatalf("Load(policies.FS): %v", err)
	}
	ids := make(map[string]Policy)
	for _, p := range got {
		ids[p.ID] = p
	}
	for _, id := range []string{"free-speech", "no-hate-speech"} {
		p, ok := ids[id]
		switch {
		case !ok:
			t.Errorf("policy %q not loaded", id)
		case !p.Required:
			t.Errorf("policy %q is not required", id)
		case p.Effective.After(time.Now()):
			t.Errorf("policy %q takes effect on %s, in the future", id, p.Effective.Format(time.DateOnly))
		}
	}
}
