package show

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TargetPlaceholder stands for the target in a Curl line when it is not
// known.
const TargetPlaceholder = `"$TARTAN_TARGET_URL"`

// Curl returns a shell command that sends body, byte for byte, with header
// to target (redacted with URL; "" writes TargetPlaceholder), for people
// to reproduce a delivery. printf keeps the body byte for byte (a heredoc
// would add a newline); a body a shell argument cannot hold as is (a NUL,
// invalid UTF-8, control characters) goes in printf's format instead, with
// those bytes as octal escapes. An empty header value is written 'name;',
// curl's way to send it empty rather than remove it. The command holds the
// signature, never a key.
func Curl(target string, header http.Header, body []byte) string {
	var b strings.Builder
	if Printable(body) {
		fmt.Fprintf(&b, "printf '%%s' %s", Quote(string(body)))
	} else {
		fmt.Fprintf(&b, "printf %s", Quote(printfFormat(body)))
	}
	t := TargetPlaceholder
	if target != "" {
		t = Quote(URL(target))
	}
	fmt.Fprintf(&b, " | curl -sS -X POST %s", t)
	for _, k := range HeaderNames(header) {
		for _, v := range header[k] {
			if v == "" {
				fmt.Fprintf(&b, " -H %s", Quote(k+";"))
				continue
			}
			fmt.Fprintf(&b, " -H %s", Quote(k+": "+v))
		}
	}
	b.WriteString(" --data-binary @-")
	return b.String()
}

// HeaderNames returns h's names as spelled in the map: content-type first,
// then the others sorted.
func HeaderNames(h http.Header) []string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		ci, cj := strings.EqualFold(names[i], "content-type"), strings.EqualFold(names[j], "content-type")
		if ci != cj {
			return ci
		}
		return names[i] < names[j]
	})
	return names
}

// Quote quotes s for a POSIX shell: in single quotes, where each single
// quote of s closes the quotes, is escaped, and reopens them.
func Quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// URL hides what a URL may carry of secrets, the password and every query
// value (webhook URLs often carry a token there), as "xxxxx": the URL as
// reports, logs and errors may show it.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q[k] = []string{"xxxxx"}
		}
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// Printable reports whether b is UTF-8 text with no control characters
// other than newline and tab.
func Printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r != '\n' && r != '\t' && (unicode.IsControl(r) || r == utf8.RuneError) {
			return false
		}
	}
	return true
}

// printfFormat writes body as a printf format that prints it byte for
// byte: % and \ doubled, bytes other than printable ASCII in octal.
func printfFormat(body []byte) string {
	var b strings.Builder
	for _, c := range body {
		switch {
		case c == '%':
			b.WriteString("%%")
		case c == '\\':
			b.WriteString(`\\`)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\%03o`, c)
		}
	}
	return b.String()
}
