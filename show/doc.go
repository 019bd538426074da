// Package show turns what tartansim sends into what people may see: a URL
// with its secrets hidden (URL), a shell command that sends a delivery's
// exact bytes again (Curl), a string quoted for a shell (Quote), a count
// in words (Plural), and a Printer that keeps a report's first failed
// write. It holds no key and imports nothing of tartansim's, so that any
// package can show a target without importing the HTTP sender.
//
//	fmt.Println(show.URL("https://u:pw@hooks.example/tartan?token=abc"))
//	// https://u:xxxxx@hooks.example/tartan?token=xxxxx
package show
