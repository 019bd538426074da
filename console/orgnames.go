package console

import "net/url"

// OrgNamer returns the orgIds of the orgs whose name starts with name,
// ignoring case: the mock Tartan API's corporates (box.Box.Named).
type OrgNamer func(name string) []string

// OrgNames makes the org filter of the deliveries list and the export also
// match an org by its name, as f tells it: the console's log holds orgIds
// only.
func OrgNames(f OrgNamer) Option { return func(s *Server) { s.orgNames = f } }

// parseFilter is ParseFilter, with the orgs the org filter names.
func (s *Server) parseFilter(q url.Values) (Filter, error) {
	f, err := ParseFilter(q)
	if err == nil && f.Org != "" && s.orgNames != nil {
		f.named = s.orgNames(f.Org)
	}
	return f, err
}
