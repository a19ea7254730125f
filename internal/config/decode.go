package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// typeErrorLine is how yaml.v3 starts each problem of a TypeError.
var typeErrorLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// decodeError turns a YAML error into one that names the key, as every other
// config error does: yaml.v3 says "line 14: cannot unmarshal !!str `banana`
// into time.Duration", which leaves the sysadmin to count lines.
func decodeError(src []byte, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("config: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var root yaml.Node
	_ = yaml.Unmarshal(src, &root) // it parsed once already; on failure keys stay unnamed
	problems := make([]string, 0, len(te.Errors))
	for _, msg := range te.Errors {
		problems = append(problems, namedProblem(&root, msg))
	}
	return &Error{Problems: problems}
}

func namedProblem(root *yaml.Node, msg string) string {
	m := typeErrorLine.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	line, _ := strconv.Atoi(m[1])
	what := m[2]
	if strings.HasSuffix(what, "into time.Duration") {
		what = "must be a duration such as 90s, 10m or 24h"
	}
	if key := keyAtLine(root, line, ""); key != "" {
		return fmt.Sprintf("%s: %s (line %d)", key, what, line)
	}
	return msg
}

// keyAtLine is the dotted path of the mapping key whose value starts on line.
func keyAtLine(n *yaml.Node, line int, prefix string) string {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if k := keyAtLine(c, line, prefix); k != "" {
				return k
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			path := n.Content[i].Value
			if prefix != "" {
				path = prefix + "." + path
			}
			v := n.Content[i+1]
			if (v.Kind == yaml.ScalarNode || v.Kind == yaml.AliasNode) && v.Line == line {
				return path
			}
			if k := keyAtLine(v, line, path); k != "" {
				return k
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if c.Kind == yaml.ScalarNode && c.Line == line {
				return fmt.Sprintf("%s[%d]", prefix, i)
			}
			if k := keyAtLine(c, line, fmt.Sprintf("%s[%d]", prefix, i)); k != "" {
				return k
			}
		}
	}
	return ""
}
